// The floor under `vaisc run --profile`'s overhead on a machine: what the kernel's sampling
// interrupt alone costs a program, with no vaisc, no JIT code and no user-space work per sample.
// A thread spins reading the TSC for SECONDS of wall time; every gap between two consecutive
// reads of 10-100 us is an interrupt (shorter gaps are noise, longer ones preemption by other
// processes). Run it without an event (`none`: only the scheduler tick, which every program
// pays) and with the event `vaisc run --profile` opens (`chain`: a perf task-clock event with a
// period of PERIOD ns, 1 ms by default, recording user call chains; `ip`: recording only the
// instruction pointer). The extra stalls' share of CPU time is the floor at that rate.
//     cc -O2 -o /tmp/irq_stalls bench/irq_stalls.c
//     for m in none ip chain; do /tmp/irq_stalls $m 2; done
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static double ms(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "none";
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    long period = argc > 3 ? atol(argv[3]) : 1000000;
    if (strcmp(mode, "none") != 0) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.type = PERF_TYPE_SOFTWARE;
        a.size = sizeof a;
        a.config = PERF_COUNT_SW_TASK_CLOCK;
        a.sample_period = period;
        a.sample_type = strcmp(mode, "chain") == 0 ? PERF_SAMPLE_CALLCHAIN : PERF_SAMPLE_IP;
        a.disabled = 1;
        a.exclude_hv = 1;
        a.exclude_callchain_kernel = 1;
        a.watermark = 1;
        a.wakeup_watermark = 1 << 30; // never wake anyone: nothing runs in user space per sample
        int fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
        if (fd < 0) {
            a.exclude_kernel = 1;
            fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
        }
        if (fd < 0) {
            perror("perf_event_open");
            return 1;
        }
        if (mmap(0, 65 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    }
    double m0 = ms(CLOCK_MONOTONIC);
    uint64_t t0 = __rdtsc();
    while (ms(CLOCK_MONOTONIC) - m0 < 50) {
    }
    double ticks_per_us = (__rdtsc() - t0) / ((ms(CLOCK_MONOTONIC) - m0) * 1000);
    long stalls = 0;
    double stalled = 0;
    double c0 = ms(CLOCK_THREAD_CPUTIME_ID);
    uint64_t prev = __rdtsc(), end = prev + (uint64_t)(seconds * 1e6 * ticks_per_us);
    while (prev < end) {
        uint64_t now = __rdtsc();
        double us = (now - prev) / ticks_per_us;
        if (us >= 10 && us < 100) {
            stalls++;
            stalled += us;
        }
        prev = now;
    }
    double cpu = ms(CLOCK_THREAD_CPUTIME_ID) - c0;
    printf("%-5s %.0f ms of CPU: %ld interrupts (%.2f per ms), %.1f us each, %.2f%% of CPU time\n", mode, cpu, stalls,
           stalls / cpu, stalls ? stalled / stalls : 0, stalled / 10 / cpu);
    return 0;
}
