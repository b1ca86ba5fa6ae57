#include <stdio.h>
#include <stdlib.h>
struct env1 { long *xs; long k; };
typedef long (*fi)(void *, long, long);
typedef double (*fd)(void *, double, long);
static long foldi(long n, long init, fi f, void *env) { long acc = init; for (long i = 0; i < n; i++) acc = f(env, acc, i); return acc; }
static double foldd(long n, double init, fd f, void *env) { double acc = init; for (long i = 0; i < n; i++) acc = f(env, acc, i); return acc; }
static long lam1(void *env, long a, long i) { struct env1 *e = env; return a + e->xs[i] * e->k; }
static long mix(void *env, long a, long i) { (void)env; return (a * 31 + i) % 1000003; }
static double lam2(void *env, double a, long i) { return a + ((double *)env)[i]; }
int main(void) {
    long n = 1000;
    long *xs = malloc(n * 8);
    for (long i = 0; i < n; i++) xs[i] = i * 7 % 13;
    double fs[] = {0.5, 1.5, 2.5, 3.5};
    long total = 0; double ft = 0.0;
    for (long r = 0; r < 20000; r++) {
        struct env1 e = { xs, r % 5 };
        total += foldi(n, 0, lam1, &e);
        total += foldi(n, r, mix, 0);
        ft = ft + foldd(4, 0.0, lam2, fs);
    }
    free(xs);
    printf("%ld %.1f\n", total, ft);
    return 0;
}
