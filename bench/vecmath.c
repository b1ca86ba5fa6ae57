#include <stdio.h>
typedef struct { double x, y, z; } V3;
static V3 add(V3 a, V3 b) { V3 r = { a.x + b.x, a.y + b.y, a.z + b.z }; return r; }
static V3 scale(V3 a, double k) { V3 r = { a.x * k, a.y * k, a.z * k }; return r; }
static double dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static V3 cross(V3 a, V3 b) { V3 r = { a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x }; return r; }
int main(void) {
    V3 p = { 1.0, 0.0, 0.0 }, v = { 0.0, 1.0, 0.5 }, axis = { 0.0, 0.0, 1.0 };
    double acc = 0.0;
    for (long i = 0; i < 10000000; i++) {
        V3 f = cross(axis, p);
        p = add(scale(p, 0.99995), scale(f, 0.01));
        v = add(scale(v, 0.5), p);
        acc = acc + dot(p, v);
    }
    printf("%.6f %.6f %.6f %.6f\n", p.x, p.y, p.z, acc);
    return 0;
}
