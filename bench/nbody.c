#include <stdio.h>
#include <math.h>
static double energy(double *x, double *y, double *z, double *vx, double *vy, double *vz, double *m, long n) {
    double e = 0.0;
    for (long i = 0; i < n; i++) {
        e = e + 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
        for (long j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
            e = e - m[i] * m[j] / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}
static void advance(double *x, double *y, double *z, double *vx, double *vy, double *vz, double *m, long n, double dt) {
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            vx[i] = vx[i] - dx * m[j] * mag;
            vy[i] = vy[i] - dy * m[j] * mag;
            vz[i] = vz[i] - dz * m[j] * mag;
            vx[j] = vx[j] + dx * m[i] * mag;
            vy[j] = vy[j] + dy * m[i] * mag;
            vz[j] = vz[j] + dz * m[i] * mag;
        }
    for (long i = 0; i < n; i++) {
        x[i] = x[i] + dt * vx[i];
        y[i] = y[i] + dt * vy[i];
        z[i] = z[i] + dt * vz[i];
    }
}
int main(void) {
    double pi = 3.141592653589793, sm = 4.0 * pi * pi, dp = 365.24;
    double x[] = {0.0, 4.84143144246472090, 8.34336671824457987, 12.894369562139131, 15.379697114850917};
    double y[] = {0.0, 0.0 - 1.16032004402742839, 4.12479856412430479, 0.0 - 15.111151401698631, 0.0 - 25.919314609987964};
    double z[] = {0.0, 0.0 - 0.103622044471123109, 0.0 - 0.403523417114321381, 0.0 - 0.22330757889265573, 0.17925877295037118};
    double vx[] = {0.0, 0.00166007664274403694 * dp, 0.0 - 0.00276742510726862411 * dp, 0.00296460137564761618 * dp, 0.00268067772490389322 * dp};
    double vy[] = {0.0, 0.00769901118419740425 * dp, 0.00499852801234917238 * dp, 0.00237847173959480950 * dp, 0.00162824170038242295 * dp};
    double vz[] = {0.0, 0.0 - 0.0000690460016972063023 * dp, 0.0000230417297573763929 * dp, 0.0 - 0.0000296589568540237556 * dp, 0.0 - 0.0000951592254519715870 * dp};
    double m[] = {sm, 0.000954791938424326609 * sm, 0.000285885980666130812 * sm, 0.0000436624404335156298 * sm, 0.0000515138902046611451 * sm};
    long n = 5;
    double px = 0.0, py = 0.0, pz = 0.0;
    for (long i = 0; i < n; i++) { px = px + vx[i] * m[i]; py = py + vy[i] * m[i]; pz = pz + vz[i] * m[i]; }
    vx[0] = 0.0 - px / sm; vy[0] = 0.0 - py / sm; vz[0] = 0.0 - pz / sm;
    printf("%.9f\n", energy(x, y, z, vx, vy, vz, m, n));
    for (long s = 0; s < 1000000; s++) advance(x, y, z, vx, vy, vz, m, n, 0.01);
    printf("%.9f\n", energy(x, y, z, vx, vy, vz, m, n));
    return 0;
}
