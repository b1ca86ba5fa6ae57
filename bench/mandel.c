#include <stdio.h>
long mandel(double cx, double cy) {
    double x = 0.0, y = 0.0; long i = 0;
    while (i < 500 && x * x + y * y <= 4.0) {
        double t = x * x - y * y + cx;
        y = 2.0 * x * y + cy;
        x = t;
        i += 1;
    }
    return i;
}
int main(void) {
    long total = 0;
    for (double cy = 0.0 - 1.2; cy < 1.2; cy = cy + 0.006)
        for (double cx = 0.0 - 2.0; cx < 1.0; cx = cx + 0.005) total += mandel(cx, cy);
    printf("%ld\n", total);
    return 0;
}
