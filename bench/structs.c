#include <stdio.h>
typedef struct { long x, y; } V;
static long norm1(const V *self) { return self->x + self->y; }
V step(V v, long k) { V r = { v.y, (v.x + v.y * k) % 1000003 }; return r; }
int main(void) {
    V v = { 1, 2 };
    long acc = 0;
    for (long i = 0; i < 20000000; i++) { v = step(v, i); acc += norm1(&v) % 7; }
    printf("%ld\n", v.x + v.y + acc);
    return 0;
}
