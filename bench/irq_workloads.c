// The per-sample cost of the perf event `vaisc run --profile` opens, on C workloads and without
// vaisc: CPU time of a fixed amount of work (`arith`: a multiply-add chain; `interp`: a
// switch-dispatched bytecode loop like bench/interp.vais; `stream`: a 256 MiB sequential read;
// `randacc`: random reads over it; `loops`: bench/loops.vais in C, passes over every word of an
// 8 MiB buffer, whose 2,048 pages the TLB holds between passes) with no event (`none`), a task-clock event sampling the
// instruction pointer (`ip`) or call chains (`chain`) every PERIOD ns, or counting only
// (`count`). The cost per sample is (time - time without the event) / samples; bench/RESULTS.md
// ("Profiler overhead", third pass) compares 1 kHz with 10 kHz.
//     cc -O2 -o /tmp/irq_workloads bench/irq_workloads.c
//     /tmp/irq_workloads interp 100000000 none; /tmp/irq_workloads interp 100000000 chain 1000000
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <stdint.h>

static double cpu_ms(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec*1e3 + t.tv_nsec/1e6; }
static double proc_ms(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return (r.ru_utime.tv_sec+r.ru_stime.tv_sec)*1e3 + (r.ru_utime.tv_usec+r.ru_stime.tv_usec)/1e3; }

volatile uint64_t sink;
static uint64_t *big;
#define BIG (32<<20) /* words: 256 MiB */
static long arith(long n) { uint64_t x = 1; for (long i = 0; i < n; i++) { x = x * 6364136223846793005ULL + 1442695040888963407ULL; } sink = x; return n; }
static long stream(long n) { uint64_t s = 0; long k = 0; for (long i = 0; i < n; i++) { s += big[k]; k += 8; if (k >= BIG) k = 0; } sink = s; return n; }
static long randacc(long n) { uint64_t s = 0, x = 12345; for (long i = 0; i < n; i++) { x = x * 6364136223846793005ULL + 1; s += big[(x >> 20) & (BIG-1)]; } sink = s; return n; }
#define SMALL (1<<20) /* words: 8 MiB */
static long loops(long n) { uint64_t s = 0; for (long r = 0; r < n / SMALL; r++) for (long i = 0; i < SMALL; i++) s += big[i] ^ r; sink = s; return n; }
static long interp(long n) {
  static const int code[] = {0,1,2,3,4,5,6,7,8,9,10,11,12};
  long st[64]; int sp = 4; st[0]=st[1]=st[2]=st[3]=1; long steps=0; int pc=0;
  for (long i = 0; i < n; i++) {
    switch (code[pc]) {
    case 0: st[sp-1] += st[sp-2]; break;
    case 1: st[sp-2] ^= st[sp-1]; break;
    case 2: st[sp-1] *= 3; break;
    case 3: { long t = st[sp-1]; st[sp-1]=st[sp-2]; st[sp-2]=t; } break;
    case 4: st[sp-3] += 1; break;
    case 5: st[sp-1] -= st[sp-3]; break;
    case 6: if (st[sp-1] & 1) st[sp-2]++; break;
    case 7: st[sp-2] += 7; break;
    case 8: st[sp-1] >>= 1; break;
    case 9: st[sp-4] ^= st[sp-1]; break;
    case 10: st[sp-1] |= 2; break;
    case 11: st[sp-2] -= 5; break;
    default: pc = -1; break;
    }
    pc++; steps++;
  }
  sink = st[0]+st[1]+st[2]+st[3]; return steps;
}

int main(int argc, char **argv) {
  const char *work = argc > 1 ? argv[1] : "arith";
  long n = argc > 2 ? atol(argv[2]) : 300000000;
  const char *mode = argc > 3 ? argv[3] : "none"; // none, ip, chain, cpuclock, count
  long period = argc > 4 ? atol(argv[4]) : 1000000;
  if (strcmp(work, "stream") == 0 || strcmp(work, "randacc") == 0) { big = malloc(BIG*8); for (long i = 0; i < BIG; i++) big[i] = i; }
  if (strcmp(work, "loops") == 0) { big = malloc(SMALL*8); for (long i = 0; i < SMALL; i++) big[i] = i; }
  int fd = -1; void *ring = 0;
  if (strcmp(mode, "none")) {
    struct perf_event_attr a; memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_SOFTWARE; a.size = sizeof a;
    a.config = strcmp(mode, "cpuclock") ? PERF_COUNT_SW_TASK_CLOCK : PERF_COUNT_SW_CPU_CLOCK;
    if (strcmp(mode, "count")) { a.sample_period = period; a.sample_type = strcmp(mode, "chain") ? PERF_SAMPLE_IP : PERF_SAMPLE_IP|PERF_SAMPLE_CALLCHAIN; }
    a.disabled = 1; a.exclude_hv = 1; a.exclude_kernel = 1; a.exclude_callchain_kernel = 1;
    a.watermark = 1; a.wakeup_watermark = 1<<30;
    fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0) { perror("perf_event_open"); return 1; }
    ring = mmap(0, 65*4096, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) { perror("mmap"); return 1; }
  }
  // warm up
  if (!strcmp(work,"arith")) arith(n/20); else if (!strcmp(work,"stream")) stream(n/20); else if (!strcmp(work,"randacc")) randacc(n/20); else if (!strcmp(work,"loops")) loops(n/20); else interp(n/20);
  if (fd >= 0) ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  double c0 = cpu_ms(), p0 = proc_ms();
  if (!strcmp(work,"arith")) arith(n); else if (!strcmp(work,"stream")) stream(n); else if (!strcmp(work,"randacc")) randacc(n); else if (!strcmp(work,"loops")) loops(n); else interp(n);
  double c1 = cpu_ms(), p1 = proc_ms();
  long samples = 0;
  if (fd >= 0) {
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    struct perf_event_mmap_page *m = ring; uint64_t head = m->data_head, tail = m->data_tail;
    unsigned char *data = (unsigned char*)ring + 4096;
    while (tail < head) { struct perf_event_header *h = (void*)(data + (tail % (64*4096))); if (h->type == PERF_RECORD_SAMPLE) samples++; tail += h->size; }
  }
  printf("%s %s thread_cpu_ms %.2f proc_ms %.2f samples %ld\n", work, mode, c1-c0, p1-p0, samples);
  return 0;
}
