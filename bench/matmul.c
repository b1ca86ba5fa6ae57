#include <stdio.h>
#include <stdlib.h>
static long at(long *m, long n, long i, long j) { return m[i * n + j]; }
static void put(long *m, long n, long i, long j, long v) { m[i * n + j] = v; }
int main(void) {
    long n = 300;
    long *a = malloc(n * n * 8), *bt = malloc(n * n * 8), *c = malloc(n * n * 8);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            put(a, n, i, j, (i * 7 + j * 3) % 101);
            put(bt, n, i, j, (i * 5 + j * 11) % 103);
        }
    for (long r = 0; r < 3; r++)
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) {
                long s = 0;
                for (long k = 0; k < n; k++) s += at(a, n, i, k) * at(bt, n, j, k);
                put(c, n, i, j, s + r);
            }
    long total = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) total = (total * 31 + at(c, n, i, j)) % 1000000007;
    free(a); free(bt); free(c);
    printf("%ld\n", total);
    return 0;
}
