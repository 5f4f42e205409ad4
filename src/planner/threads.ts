/**
 * The CPU thread count a user gives an estimate, a plan or a measurement (the threads their runtime's CPU kernels
 * use). Dependency-free, so the plan model can check it without loading the catalog. No `vscode` import.
 */

/** The largest CPU thread count taken. */
export const MAX_CPU_THREADS = 1024;

/** A usable CPU thread count: a whole number from 1 to MAX_CPU_THREADS. */
export const isThreadCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_CPU_THREADS;
