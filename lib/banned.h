/*
 * Functions that must not be used in bqsync (after git's banned.h).
 * Included last by every .c file, so a call to one of these fails to
 * compile.  Use snprintf() with a truncation check and gmtime_r().
 */
#ifndef BQSYNC_BANNED_H
#define BQSYNC_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)

#endif
