// Happens-before edges for ThreadSanitizer across the session's thread
// boundary. Qt's queued calls and gRPC's callbacks synchronise inside
// uninstrumented system libraries (futexes, atomics), which TSan cannot see;
// each crossing point releases before handing data over and acquires before
// touching it. Compiled away unless built with -fsanitize=thread.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace etcdscope {

inline void handoffRelease([[maybe_unused]] const void* channel)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_release(const_cast<void*>(channel));
#endif
}

inline void handoffAcquire([[maybe_unused]] const void* channel)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(const_cast<void*>(channel));
#endif
}

}  // namespace etcdscope
