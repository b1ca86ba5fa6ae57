#include <stdio.h>
#include <stdlib.h>
typedef struct N { struct N *l, *r; } N;
static N *make(long d) {
    N *n = malloc(16);
    if (d == 0) { n->l = 0; n->r = 0; } else { n->l = make(d - 1); n->r = make(d - 1); }
    return n;
}
static long check(N *n) { return n->l == 0 ? 1 : 1 + check(n->l) + check(n->r); }
static void drop(N *n) { if (n->l != 0) { drop(n->l); drop(n->r); } free(n); }
int main(void) {
    long max = 16;
    N *lng = make(max);
    long total = 0;
    for (long d = 4; d <= max; d += 2) {
        long iters = 1L << (max - d + 4), c = 0;
        for (long i = 0; i < iters; i++) { N *t = make(d); c += check(t); drop(t); }
        printf("%ld trees of depth %ld check %ld\n", iters, d, c);
        total += c;
    }
    printf("long lived %ld total %ld\n", check(lng), total);
    drop(lng);
    return 0;
}
