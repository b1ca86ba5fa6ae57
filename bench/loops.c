#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static long load_i64(long a) { long v; memcpy(&v, (void *)a, 8); return v; }
static void store_i64(long a, long v) { memcpy((void *)a, &v, 8); }
int main(void) {
    long n = 1000000;
    long buf = (long)malloc(n * 8);
    for (long i = 0; i < n; i++) store_i64(buf + i * 8, i);
    long total = 0;
    for (long r = 0; r < 100; r++)
        for (long i = 0; i < n; i++) total += load_i64(buf + i * 8) ^ r;
    free((void *)buf);
    printf("%ld\n", total);
    return 0;
}
