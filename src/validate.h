/*
 * validate.h: small checkers applied on every route into the tables.
 */
#ifndef ADOPTION_VALIDATE_H
#define ADOPTION_VALIDATE_H

/* True if the len bytes at s are empty or only ASCII white space. */
static inline bool
adoption_is_blank(const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v')
			return false;
	}
	return true;
}

#endif							/* ADOPTION_VALIDATE_H */
