#if canImport(Glibc)
import Glibc
#endif

/// The heap settings a process that writes to a store should start with (the `roost` executable and the
/// benchmarks call ``configure()`` first thing). Not applied by the store itself: allocator settings belong to the
/// process, not to a library it links.
///
/// Why: by default glibc gives the top of the heap back to the kernel (`brk`) whenever more than 128 KiB of it is
/// free, and takes it back on the next allocation. A transaction that merges 1,000 ops allocates and frees that much
/// over and over, so the kernel spent ~25% of benchmark 1's time unmapping and faulting the same pages in
/// (`perf`: `__do_sys_brk`, `do_vmi_align_munmap`; `strace -c`: 16,837 `brk` calls for 100,000 ops). Keeping
/// ``StoreLimits/heapTopPadBytes`` at the top (`M_TOP_PAD`) made local append+apply 1.4× as fast (33–35k → 45–51k
/// ops/s; Benchmarks/README.md, "The allocator"); at most that much more stays resident.
public enum ProcessAllocator {
    /// Applies the settings (glibc only; elsewhere nothing to do). Idempotent.
    public static func configure() {
        #if canImport(Glibc)
        // <malloc.h> is not in Swift's Glibc module: glibc's `mallopt` by name, `M_TOP_PAD` is -2 in <malloc.h>.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }  // RTLD_DEFAULT
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-2, Int32(StoreLimits.heapTopPadBytes))
        #endif
    }
}
