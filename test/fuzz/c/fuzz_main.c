/*
 * fuzz_main.c: runs a libFuzzer target without libFuzzer, for gcc builds.
 *
 * Usage: <target>_replay [-n RUNS] [-s SEED] [-l MAXLEN] FILE|DIR ...
 * Each file (a directory: each file in it) is passed to
 * LLVMFuzzerTestOneInput() once, in a buffer of exactly its size so that
 * AddressSanitizer sees a read past its end; then RUNS inputs of pseudo-
 * random bytes and lengths (xorshift64*, seeded by SEED, so a run can be
 * repeated).  A failed property aborts inside the target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long files = 0;

/* Passes the contents of one file to the target. */
static void
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	struct stat st;
	uint8_t    *buf;

	if (f == NULL || fstat(fileno(f), &st) != 0)
	{
		perror(path);
		exit(2);
	}
	buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
	if (buf == NULL || fread(buf, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
	{
		perror(path);
		exit(2);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t) st.st_size);
	free(buf);
	files++;
}

/* Runs a file, or each regular file of a directory in name order. */
static void
run_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int			n,
				i;
	char		full[4096];

	if (stat(path, &st) != 0)
	{
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode))
	{
		run_file(path);
		return;
	}
	n = scandir(path, &names, NULL, alphasort);
	for (i = 0; i < n; i++)
	{
		snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			run_file(full);
		free(names[i]);
	}
	free(names);
}

/* Returns the next number of an xorshift64* sequence. */
static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

int
main(int argc, char **argv)
{
	long		runs = 0;
	uint64_t	state = 1;
	size_t		max_len = 512;
	uint8_t    *buf;
	long		r;
	int			i;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			runs = atol(argv[++i]);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			state = strtoull(argv[++i], NULL, 10) * 2 + 1;
		else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
			max_len = (size_t) atol(argv[++i]);
		else
			run_path(argv[i]);
	}
	for (r = 0; r < runs; r++)
	{
		size_t		len = (size_t) (next_random(&state) % (max_len + 1));
		size_t		k;

		buf = malloc(len > 0 ? len : 1);
		if (buf == NULL)
			return 2;
		for (k = 0; k < len; k++)
			buf[k] = (uint8_t) (next_random(&state) >> 56);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	printf("%s: %ld files, %ld random inputs, no failure\n", argv[0], files, runs);
	return 0;
}
