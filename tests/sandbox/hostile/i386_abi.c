/* The i386 ABI (int 0x80) has other syscall numbers: 26 is ptrace there. The arch check kills it. */
int main(void)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(26L), "b"(0L), "c"(0L), "d"(0L) : "memory");
    return (int)ret & 1;
}
