#!/usr/bin/env python3
"""Trains the feedback model of src/textcat and writes it as C (model.c).

Usage: train_model.py FEATURES SOURCE... > model.c

FEATURES is the output of `textcat_cli features SOURCE...` (one line per
labelled text: expected label, expected themes, the rules' label, the
rules' themes, the feature hashes in hex; see tc_analyze_ex in textcat.h).
The SOURCE names are only written into the header comment.  Python 3
standard library only; deterministic (fixed seed, sorted iteration, fixed
number formatting), so `make -C test/textcat model-check` can compare the
committed model.c with a fresh one.

The model (docs/feedback-insights.md, "The trained model"):
- one linear layer over the features: a softmax over the three labels and
  four logistic outputs, one per theme category (does the text have a
  theme of it), trained together by stochastic gradient descent with
  AdaGrad steps and L2 regularization, the labels weighted so that each
  class counts as much as the others;
- per theme, the positive naive Bayes evidence of the features
  (train_themes), used to pick the theme of a category the model adds;
- the decision thresholds (when the model's label replaces the rules'
  one, when a category's rule themes are dropped, when one is added),
  chosen by 5-fold cross-validation on the training texts only;
- per category, whether the theme the naive Bayes evidence scores best
  replaces the rules' themes when it is not among them, and by what margin
  over theirs (REPLACE_MODES, MARGIN_CATS), chosen by the same
  cross-validation.
"""

import math
import random
import sys

SEED = 18
MIN_DF = 2          # a feature must occur in this many training texts
EPOCHS = 10
RATE = 0.2
L2 = 1e-4
NB_ALPHA = 0.5
NB_MIN_COUNT = 1    # (feature, theme) pairs seen in fewer texts are left out
NB_MIN_W = 0.0      # evidence at or below this is left out
FOLDS = 5
# What the best-scored theme does to a kept category's rule themes it is
# not among, as (mode, margin): mode 0 nothing, 1 replaces them when they
# are only "other" (a request cue without a topic), 2 also when its score
# is at least margin above the best score of the rule themes (0: always).
# Chosen per category by cross-validation: the candidate of the best F1
# (the first of equals, in this order of more and more replacing), if it
# gains REPLACE_GAIN over mode 0.
REPLACE_MODES = [(0, 0.0), (1, 0.0)] + [(2, m) for m in (24.0, 16.0, 12.0, 8.0, 6.0, 4.0, 2.0, 0.0)]
REPLACE_GAIN = 0.005
# The categories that may take mode 2: pain points and value drivers have
# rule themes in most texts, and scoring every theme of theirs for each
# cost 3,000 instructions an analysis for 0.01 of F1 on the folds.
MARGIN_CATS = {"feature_request", "success_indicator"}
STRONG = 0.5        # |rules' score| from which the rules count as sure
# The sets the rules were tuned on: on them the rules' result is better
# than on new text, so half of their texts are trained on without it.
RULES_TUNED = {"feedback_labelled.tsv", "feedback_tuning.tsv", "feedback_dev2.tsv",
               "feedback_unseen.tsv", "feedback_unseen2.tsv"}
REPORT = False      # --report: cross-validation figures on stderr
MISSES = None       # --misses FILE (with --loso): file:line, expected and got of each miss
# --loso: label accuracy with each training file left out of training in
# turn, on stderr: text in a style the model has not seen, better than
# random folds mimic it.  The files the rules were tuned on first (labelled,
# tuning, unseen) are left in: the rules know them.
LOSO_KEEP = {"feedback_labelled.tsv", "feedback_tuning.tsv", "feedback_unseen.tsv"}
LABELS = ["positive", "neutral", "negative"]
CATS = ["pain_point", "feature_request", "value_driver", "success_indicator"]
NOUT = 3 + len(CATS)
DIGITS = 4          # decimals of the weights written out
# Themes the built-in lexicon defines, per category (src/textcat/lexicon.c).
THEMES = {
    "pain_point": "performance reliability usability pricing support integrations "
                  "data_loss onboarding documentation security",
    "feature_request": "dark_mode export import sso mobile api integrations reporting "
                       "permissions bulk_actions notifications search customization offline "
                       "localization templates audit_log other",
    "value_driver": "time_savings ease_of_use collaboration automation insights integrations "
                    "support_quality performance reliability pricing onboarding documentation",
    "success_indicator": "time_saved conversion revenue retention roi productivity adoption "
                         "cost_savings",
}
THEME_LIST = [(c, t) for c in CATS for t in THEMES[c].split()]
THEME_INDEX = {"%s:%s" % ct: i for i, ct in enumerate(THEME_LIST)}


def parse(path):
    rows = []
    nth = {}        # per source, the line of its text (the header is line 1)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 7:
                raise SystemExit("%s: malformed line: %r" % (path, line[:80]))
            source, label, gold, rlabel, rthemes, words, rules = parts
            nth[source] = nth.get(source, 1) + 1
            rlabel, rscore = rlabel.split(":")
            gold_set = set() if gold == "-" else set(gold.split(","))
            rule_set = set() if rthemes == "-" else set(rthemes.split(","))
            counts = {}
            for h in words.split():
                k = int(h, 16)
                counts[k] = counts.get(k, 0) + 1
            rule_counts = {}
            for h in rules.split():
                k = int(h, 16)
                rule_counts[k] = rule_counts.get(k, 0) + 1
            both = dict(counts)
            for k, n in rule_counts.items():
                both[k] = both.get(k, 0) + n
            rows.append({
                "source": source.rsplit("/", 1)[-1],
                "line": nth[source],
                "y": LABELS.index(label),
                "gold": gold_set,
                "rule_label": LABELS.index(rlabel),
                "rule_strong": abs(float(rscore)) >= STRONG,
                "rule": rule_set,
                "feats": both,
                "words": counts,
            })
    return rows


def hide_rules(rows):
    """Returns the training rows, half of those of RULES_TUNED without the
    rules' features (chosen with a fixed seed)."""
    rng = random.Random(SEED)
    out = []
    for r in rows:
        if r["source"] in RULES_TUNED and rng.random() < 0.5:
            r = dict(r)
            r["feats"] = r["words"]
        out.append(r)
    return out


def cats_of(themes):
    return [any(x.startswith(c + ":") for x in themes) for c in CATS]


def vocabulary(rows):
    df = {}
    for r in rows:
        for k in r["feats"]:
            df[k] = df.get(k, 0) + 1
    return sorted(k for k, n in df.items() if n >= MIN_DF)


def sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def train_linear(rows, vocab):
    """Returns (weights per feature: list of NOUT floats, bias)."""
    index = {k: i for i, k in enumerate(vocab)}
    data = []
    for r in rows:
        x = sorted((index[k], n) for k, n in r["feats"].items() if k in index)
        data.append((x, r["y"], cats_of(r["gold"])))
    freq = [sum(1 for d in data if d[1] == k) for k in range(3)]
    cw = [len(data) / (3.0 * max(n, 1)) for n in freq]
    w = [[0.0] * NOUT for _ in vocab]
    g2 = [[1e-8] * NOUT for _ in vocab]
    b = [0.0] * NOUT
    bg2 = [1e-8] * NOUT
    rng = random.Random(SEED)
    order = list(range(len(data)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            x, y, cy = data[i]
            z = b[:]
            for j, n in x:
                wj = w[j]
                for k in range(NOUT):
                    z[k] += wj[k] * n
            p = softmax(z[:3])
            grad = [(p[k] - (1.0 if k == y else 0.0)) * cw[y] for k in range(3)]
            for c in range(len(CATS)):
                grad.append(sigmoid(z[3 + c]) - (1.0 if cy[c] else 0.0))
            for k in range(NOUT):
                bg2[k] += grad[k] * grad[k]
                b[k] -= RATE * grad[k] / math.sqrt(bg2[k])
            for j, n in x:
                wj = w[j]
                gj = g2[j]
                for k in range(NOUT):
                    g = grad[k] * n + L2 * wj[k]
                    gj[k] += g * g
                    wj[k] -= RATE * g / math.sqrt(gj[k])
    return w, b


def train_themes(rows, vocab):
    """Returns (base, pairs {feature index: [(theme, weight)]}).

    A theme's score is its log prior within its category plus, for each
    feature of the text, the feature's positive evidence for the theme:
    log(P(feature | theme) / P(feature)) over texts, when above 0 and seen
    with the theme in NB_MIN_COUNT texts or more (naive Bayes keeping the
    evidence for a theme only, which does not favour rare themes for the
    many features they never saw).
    """
    index = {k: i for i, k in enumerate(vocab)}
    nt = len(THEME_LIST)
    df = {}
    dft = [dict() for _ in range(nt)]
    ntexts = [0] * nt
    ncat = [0] * len(CATS)
    for r in rows:
        themes = [THEME_INDEX[t] for t in sorted(r["gold"]) if t in THEME_INDEX]
        for c in range(len(CATS)):
            ncat[c] += any(THEME_LIST[t][0] == CATS[c] for t in themes)
        feats = [index[k] for k in r["feats"] if k in index]
        for j in feats:
            df[j] = df.get(j, 0) + 1
        for t in themes:
            ntexts[t] += 1
            for j in feats:
                dft[t][j] = dft[t].get(j, 0) + 1
    n = len(rows)
    base = []
    pairs = {}
    for t in range(nt):
        c = CATS.index(THEME_LIST[t][0])
        base.append(math.log((ntexts[t] + 1.0) / (ncat[c] + len(THEMES[CATS[c]].split()))))
        for j in sorted(dft[t]):
            m = dft[t][j]
            if m < NB_MIN_COUNT:
                continue
            w = (math.log((m + NB_ALPHA) / (ntexts[t] + 2 * NB_ALPHA))
                 - math.log((df[j] + NB_ALPHA) / (n + 2 * NB_ALPHA)))
            if w > NB_MIN_W:
                pairs.setdefault(j, []).append((t, w))
    return base, pairs


def predict(model, r):
    """Returns (label probabilities, category probabilities, rows seen)."""
    index, w, b = model["index"], model["w"], model["b"]
    z = b[:]
    seen = []
    for k, n in r["feats"].items():
        j = index.get(k)
        if j is None:
            continue
        seen.append((j, n))
        for o in range(NOUT):
            z[o] += w[j][o] * n
    return softmax(z[:3]), [sigmoid(v) for v in z[3:]], seen


def nb_scores(model, seen):
    """Returns every theme's score: its log prior plus the evidence seen."""
    base, pairs = model["nb"]
    score = base[:]
    for j, n in seen:
        for t, w in pairs.get(j, ()):
            score[t] += n * w
    return score


def nb_best(score, cat):
    best = None
    for t, (c, _) in enumerate(THEME_LIST):
        if c == cat and (best is None or score[t] > score[best]):
            best = t
    return "%s:%s" % THEME_LIST[best]


def outputs(model, r):
    """The model's outputs for a text, as decide() takes them."""
    p, pc, seen = predict(model, r)
    score = nb_scores(model, seen)
    return (p, pc, [nb_best(score, c) for c in CATS], score)


def fit(rows):
    vocab = vocabulary(rows)
    w, b = train_linear(hide_rules(rows), vocab)
    return {"vocab": vocab, "index": {k: i for i, k in enumerate(vocab)},
            "w": w, "b": b, "nb": train_themes(rows, vocab)}


def replaced(mine, cat, best, score, repl):
    """The rule themes mine of a kept category after the replace mode:
    repl is (mode, margin), the margin a score over the rule themes' best."""
    mode, margin = repl
    if best in mine or mode == 0:
        return mine
    if mine == {cat + ":other"}:
        return {best}
    if mode == 2 and (score[THEME_INDEX[best]]
                      - max(score[THEME_INDEX[t]] for t in mine)) >= margin:
        return {best}
    return mine


def decide_label(r, p, sent_min):
    """The label: the model's when it differs from the rules' with
    probability sent_min (sent_min[1] when the rules are sure), else theirs."""
    k = max(range(3), key=lambda i: (p[i], -i))
    smin = sent_min[1] if r["rule_strong"] else sent_min[0]
    return k if (k != r["rule_label"] and p[k] >= smin) else r["rule_label"]


def decide(r, out, sent_min, drop, add, repl=((0, 0.0),) * 4):
    """Applies the model's output to the rules' result as textcat.c does."""
    p, pc, best_theme, score = out
    label = decide_label(r, p, sent_min)
    themes = set()
    for c, cat in enumerate(CATS):
        mine = {t for t in r["rule"] if t.startswith(cat + ":")}
        if mine and pc[c] < drop[c]:
            mine = set()
        elif not mine and pc[c] > add[c]:
            mine = {best_theme[c]}
        elif mine:
            mine = replaced(mine, cat, best_theme[c], score, repl[c])
        themes |= mine
    return label, themes


def f1(tp, fp, fn):
    return 2.0 * tp / (2.0 * tp + fp + fn) if tp + fp + fn else 1.0


def cat_f1(rows, outs, c, drop, add, repl=(0, 0.0)):
    cat = CATS[c]
    tp = fp = fn = 0
    for r, out in zip(rows, outs):
        pc, best = out[1][c], out[2][c]
        mine = {t for t in r["rule"] if t.startswith(cat + ":")}
        if mine and pc < drop:
            mine = set()
        elif not mine and pc > add:
            mine = {best}
        elif mine:
            mine = replaced(mine, cat, best, out[3], repl)
        want = {t for t in r["gold"] if t.startswith(cat + ":")}
        tp += len(mine & want)
        fp += len(mine - want)
        fn += len(want - mine)
    return f1(tp, fp, fn)


def thresholds(rows):
    """Chooses the decision thresholds on out-of-fold predictions."""
    fold_of = list(range(len(rows)))
    random.Random(SEED).shuffle(fold_of)
    outs = [None] * len(rows)
    for f in range(FOLDS):
        train = [r for i, r in enumerate(rows) if fold_of[i] % FOLDS != f]
        model = fit(train)
        for i, r in enumerate(rows):
            if fold_of[i] % FOLDS == f:
                outs[i] = outputs(model, r)
    grid = [x / 20.0 for x in range(0, 21)]
    best_sent = []
    for strong in (False, True):
        part = [(r, o) for r, o in zip(rows, outs) if r["rule_strong"] == strong]
        best_sent.append(max(grid[6:] + [2.0], key=lambda s: (sum(
            decide_label(r, o[0], [s, s]) == r["y"] for r, o in part), -s)))
    drop, add, repl = [], [], []
    for c in range(len(CATS)):
        d = max(grid[:11], key=lambda t: (cat_f1(rows, outs, c, t, 2.0), -t))
        a = max(grid[10:] + [2.0], key=lambda t: (cat_f1(rows, outs, c, d, t), t))
        none = cat_f1(rows, outs, c, d, a)
        modes = REPLACE_MODES if CATS[c] in MARGIN_CATS else REPLACE_MODES[:2]
        m = max(modes, key=lambda x: cat_f1(rows, outs, c, d, a, x))
        if cat_f1(rows, outs, c, d, a, m) <= none + REPLACE_GAIN:
            m = REPLACE_MODES[0]
        drop.append(d)
        add.append(a)
        repl.append(m)
    if REPORT:
        n = len(rows)
        rule_acc = sum(r["rule_label"] == r["y"] for r in rows) / n
        acc = sum(decide(r, o, best_sent, drop, add, repl)[0] == r["y"]
                  for r, o in zip(rows, outs)) / n
        sys.stderr.write("cross-validation on %d texts: label accuracy rules %.3f, model %.3f\n"
                         % (n, rule_acc, acc))
        for c in range(len(CATS)):
            sys.stderr.write("  %-18s F1 rules %.3f, model %.3f (drop < %.2f, add > %.2f,"
                             " replace %d margin %g: %.3f without)\n"
                             % (CATS[c], cat_f1(rows, outs, c, 0.0, 2.0),
                                cat_f1(rows, outs, c, drop[c], add[c], repl[c]), drop[c], add[c],
                                repl[c][0], repl[c][1], cat_f1(rows, outs, c, drop[c], add[c])))
    return best_sent, drop, add, repl


def leave_one_out(rows, sent_min):
    """Writes the label accuracy of each training file left out (but
    LOSO_KEEP), in corpus order."""
    right = total = 0
    for name in dict.fromkeys(r["source"] for r in rows if r["source"] not in LOSO_KEEP):
        test = [r for r in rows if r["source"] == name]
        model = fit([r for r in rows if r["source"] != name])
        ok = rules = 0
        for r in test:
            got = decide_label(r, predict(model, r)[0], sent_min)
            ok += got == r["y"]
            rules += r["rule_label"] == r["y"]
            if MISSES and got != r["y"]:
                MISSES.write("%s:%d\t%s\t%s\n" % (name, r["line"], LABELS[r["y"]], LABELS[got]))
        sys.stderr.write("left out %-22s %4d texts: label accuracy rules %.3f, model %.3f\n"
                         % (name, len(test), rules / len(test), ok / len(test)))
        right += ok
        total += len(test)
    if total:
        sys.stderr.write("left out, all: %d texts, model %.3f\n" % (total, right / total))


def fmt(x):
    s = "%.*f" % (DIGITS, x)
    if s in ("-0." + "0" * DIGITS,):
        s = "0." + "0" * DIGITS
    return s.rstrip("0").rstrip(".") if "." in s else s


def logit(p):
    """A probability threshold as a logit; 0 and 1 never pass."""
    if p <= 0:
        return "-1e30"
    if p >= 1:
        return "1e30"
    return fmt(math.log(p / (1.0 - p)))


def emit(model, sent_min, drop, add, repl, sources, ntexts):
    vocab, w, b = model["vocab"], model["w"], model["b"]
    base, pairs = model["nb"]
    # keep the features that have a weight or a naive Bayes pair left after rounding
    keep = [j for j in range(len(vocab))
            if any(fmt(v) not in ("0", "-0") for v in w[j]) or j in pairs]
    # at most 40 % full: a feature not in the model stops at an empty key
    # after about two probes, most often in the same cache line
    nslots = 1
    while nslots < 2.5 * max(len(keep), 1):
        nslots *= 2
    key = [0] * nslots
    row = [0] * nslots
    for r, j in enumerate(keep):
        i = vocab[j] & (nslots - 1)
        while key[i] != 0:
            i = (i + 1) & (nslots - 1)
        key[i] = vocab[j]
        row[i] = r
    out = []
    p = out.append
    p("/*")
    p(" * model.c: the trained feedback model of src/textcat (see model.h).")
    p(" *")
    p(" * GENERATED by test/textcat/train_model.py; do not edit.  Regenerate with")
    p(" * `make -C test/textcat model`; `make -C test/textcat model-check` checks")
    p(" * that this file equals a fresh regeneration.")
    p(" * Trained on %d texts of:" % ntexts)
    for src in sources:
        p(" *   %s" % src.rsplit("/", 1)[-1])
    p(" * Seed %d, %d epochs, rate %g, L2 %g, features in >= %d texts: %d kept;"
      % (SEED, EPOCHS, RATE, L2, MIN_DF, len(keep)))
    p(" * theme evidence: alpha %g, pairs seen in >= %d texts; thresholds by %d-fold"
      % (NB_ALPHA, NB_MIN_COUNT, FOLDS))
    p(" * cross-validation on the training texts.")
    p(" */")
    p('#include "model.h"')
    p("")
    p("const uint32_t tcm_nslots = %d;" % nslots)
    p("const float tcm_sent_min[2] = {%s};" % ", ".join(fmt(x) for x in sent_min))
    p("/* probability thresholds %s (drop) and %s (add), as logits */"
      % ("/".join(fmt(x) for x in drop), "/".join(fmt(x) for x in add)))
    p("const float tcm_drop[TCM_NCAT] = {%s};" % ", ".join(logit(x) for x in drop))
    p("const float tcm_add[TCM_NCAT] = {%s};" % ", ".join(logit(x) for x in add))
    p("const unsigned char tcm_replace[TCM_NCAT] = {%s};" % ", ".join(str(x[0]) for x in repl))
    p("const float tcm_margin[TCM_NCAT] = {%s};" % ", ".join(fmt(x[1]) for x in repl))
    p("const float tcm_bias[TCM_STRIDE] = {%s, 0};" % ", ".join(fmt(x) for x in b))
    p("")
    # the filled entries only (designated initializers; the rest are zero, empty)
    filled = [i for i in range(nslots) if key[i] != 0]
    p("const uint32_t tcm_key[%d] = {" % nslots)
    for n in range(0, len(filled), 6):
        p("\t" + ", ".join("[%d] = 0x%x" % (i, key[i]) for i in filled[n:n + 6]) + ",")
    if not filled:
        p("\t0,")
    p("};")
    p("const float tcm_w[%d][TCM_STRIDE] = {" % nslots)
    for i in filled:
        p("\t[%d] = {%s, 0}," % (i, ", ".join(fmt(v) for v in w[keep[row[i]]])))
    if not filled:
        p("\t{0},")
    p("};")
    p("")
    p("const int tcm_ntheme = %d;" % len(THEME_LIST))
    p("const char *const tcm_theme_name[] = {")
    for i in range(0, len(THEME_LIST), 6):
        p("\t" + " ".join('"%s",' % t for _, t in THEME_LIST[i:i + 6]))
    p("};")
    p("const unsigned char tcm_theme_cat[] = {")
    p("\t" + ", ".join(str(CATS.index(c)) for c, _ in THEME_LIST))
    p("};")
    p("const float tcm_theme_base[] = {")
    p("\t" + ", ".join(fmt(x) for x in base))
    p("};")
    # a feature's pairs in theme order, so a category's are a run: the
    # first pair, then per category how many pairs up to its run's end
    nbword, th, lw = {}, [], []
    for r, j in enumerate(keep):
        run = sorted(pairs.get(j, ()))
        word = len(th)
        for c in range(len(CATS)):
            upto = sum(1 for t, _ in run if CATS.index(THEME_LIST[t][0]) <= c)
            assert upto < 256
            word |= upto << (24 + 8 * c)
        nbword[r] = word if run else 0
        for t, lp in run:
            th.append(t)
            lw.append(lp)
    assert len(th) < (1 << 24)
    nb = ["[%d] = 0x%x" % (i, nbword[row[i]]) for i in range(nslots) if key[i] != 0 and nbword[row[i]]]
    p("const uint64_t tcm_nb[%d] = {" % nslots)
    for i in range(0, len(nb), 4):
        p("\t" + ", ".join(nb[i:i + 4]) + ",")
    if not nb:
        p("\t0,")
    p("};")
    p("const unsigned char tcm_nb_theme[] = {")
    for i in range(0, len(th), 24):
        p("\t" + ", ".join(str(x) for x in th[i:i + 24]) + ",")
    if not th:
        p("\t0")
    p("};")
    p("const float tcm_nb_w[] = {")
    for i in range(0, len(lw), 10):
        p("\t" + ", ".join(fmt(x) for x in lw[i:i + 10]) + ",")
    if not lw:
        p("\t0")
    p("};")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)

    global REPORT, MISSES
    args = sys.argv[1:]
    loso = False
    while args and args[0] in ("--report", "--loso", "--misses"):
        REPORT = REPORT or args[0] == "--report"
        loso = loso or args[0] == "--loso"
        if args[0] == "--misses" and len(args) > 1:
            MISSES = open(args[1], "w", encoding="utf-8")
            args = args[1:]
        args = args[1:]
    rows = parse(args[0])
    sources = args[1:]
    assert len(THEME_LIST) <= 64 and len(rows) < 65536
    if rows:
        sent_min, drop, add, repl = thresholds(rows)
        if loso:
            leave_one_out(rows, sent_min)
        model = fit(rows)
    else:
        sent_min, drop, add, repl = [2.0, 2.0], [0.0] * 4, [2.0] * 4, [(0, 0.0)] * 4
        model = {"vocab": [], "index": {}, "w": [], "b": [0.0] * NOUT,
                 "nb": ([0.0] * len(THEME_LIST), {})}
    sys.stdout.write(emit(model, sent_min, drop, add, repl, sources, len(rows)))


if __name__ == "__main__":
    main()
