// Where ThreadSanitizer cannot see the synchronization. Internal to
// storage/; compiled away in every build but a TSan one (scripts/test-tsan).
#ifndef VILLAGESYNC_STORAGE_INTERNAL_TSAN_H_
#define VILLAGESYNC_STORAGE_INTERNAL_TSAN_H_

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VILLAGESYNC_THREAD_SANITIZER 1
#endif
#endif

#ifdef VILLAGESYNC_THREAD_SANITIZER
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace villagesync {

// While it lives, TSan ignores this thread's memory accesses: for a call
// into a library that is not instrumented and hands memory between threads
// with synchronization TSan cannot see (RocksDB's group commit copies other
// threads' write batches inside DB::Write).
class UninstrumentedCall {
 public:
  UninstrumentedCall() {
#ifdef VILLAGESYNC_THREAD_SANITIZER
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
  }
  ~UninstrumentedCall() {
#ifdef VILLAGESYNC_THREAD_SANITIZER
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
  }
  UninstrumentedCall(const UninstrumentedCall&) = delete;
  UninstrumentedCall& operator=(const UninstrumentedCall&) = delete;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_TSAN_H_
