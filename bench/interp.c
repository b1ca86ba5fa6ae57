#include <stdio.h>
#include <stdlib.h>
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, ROT, POP, JZ, JMP, PRINT, HALT };
typedef struct { long tag, arg; } Op;
static long get(long *s, long i) { return s[i]; }
static void set(long *s, long i, long v) { s[i] = v; }
static long run(Op *code, long *stack) {
    long sp = 0, pc = 0, steps = 0; int going = 1;
    while (going) {
        Op op = code[pc];
        pc += 1; steps += 1;
        switch (op.tag) {
        case PUSH: set(stack, sp, op.arg); sp += 1; break;
        case ADD: sp -= 1; set(stack, sp - 1, get(stack, sp - 1) + get(stack, sp)); break;
        case SUB: sp -= 1; set(stack, sp - 1, get(stack, sp - 1) - get(stack, sp)); break;
        case MUL: sp -= 1; set(stack, sp - 1, get(stack, sp - 1) * get(stack, sp)); break;
        case DUP: set(stack, sp, get(stack, sp - 1)); sp += 1; break;
        case SWAP: { long t = get(stack, sp - 1); set(stack, sp - 1, get(stack, sp - 2)); set(stack, sp - 2, t); break; }
        case ROT: { long a = get(stack, sp - 3); set(stack, sp - 3, get(stack, sp - 2)); set(stack, sp - 2, get(stack, sp - 1)); set(stack, sp - 1, a); break; }
        case POP: sp -= 1; break;
        case JZ: sp -= 1; if (get(stack, sp) == 0) pc = op.arg; break;
        case JMP: pc = op.arg; break;
        case PRINT: printf("%ld\n", get(stack, sp - 1)); break;
        case HALT: going = 0; break;
        }
    }
    return steps;
}
int main(void) {
    Op code[] = {{PUSH, 0}, {PUSH, 3000000}, {DUP, 0}, {JZ, 13}, {DUP, 0}, {PUSH, 3}, {MUL, 0}, {ROT, 0}, {ADD, 0}, {SWAP, 0}, {PUSH, 1}, {SUB, 0}, {JMP, 2}, {POP, 0}, {PRINT, 0}, {HALT, 0}};
    long *stack = malloc(64 * 8);
    long steps = run(code, stack);
    free(stack);
    printf("%ld steps\n", steps);
    return 0;
}
