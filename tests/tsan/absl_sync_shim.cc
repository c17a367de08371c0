// ThreadSanitizer cannot see inside Debian's libabsl_synchronization: it is
// not instrumented, and absl::Mutex waits on futexes, not pthread, so every
// lock our code takes looks to TSan like no synchronization at all. This
// shim, loaded with LD_PRELOAD by scripts/test-tsan (and never otherwise),
// replaces absl::Mutex, absl::CondVar and absl::Notification with versions
// built on pthread mutexes and condition variables, which TSan intercepts.
//
// Each absl object maps (by address) to its pthread state in a side table.
// Reader locks are exclusive here; Await and LockWhen re-check their
// condition whenever the mutex is released, as absl does. The shim is built
// without instrumentation, so that any process can load it.
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace {

// One absl object's pthread state.
struct State {
  State() {
    pthread_mutex_init(&mu, nullptr);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
  }
  ~State() {
    pthread_cond_destroy(&changed);
    pthread_mutex_destroy(&mu);
  }
  pthread_mutex_t mu;
  pthread_cond_t changed;  // broadcast at every release (Mutex), or signal
};

pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;

// Made on first use: other libraries' static initializers lock mutexes
// before this library's run; leaked, as static absl objects may be
// destroyed after any destructor here.
std::unordered_map<const void*, State*>& Table() {
  static auto* table = new std::unordered_map<const void*, State*>();
  return *table;
}

State& Of(const void* object) {
  pthread_mutex_lock(&table_mu);
  State*& state = Table()[object];
  if (state == nullptr) state = new State();
  State& found = *state;
  pthread_mutex_unlock(&table_mu);
  return found;
}

void Forget(const void* object) {
  pthread_mutex_lock(&table_mu);
  auto it = Table().find(object);
  State* state = nullptr;
  if (it != Table().end()) {
    state = it->second;
    Table().erase(it);
  }
  pthread_mutex_unlock(&table_mu);
  delete state;
}

// `deadline` on the monotonic clock pthread waits use.
timespec Monotonic(absl::Time deadline) {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  absl::Duration left = deadline - absl::Now();
  if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
  if (left > absl::Hours(24 * 365)) left = absl::Hours(24 * 365);
  return absl::ToTimespec(absl::DurationFromTimespec(now) + left);
}

// Waits on `cv` with `mu` held; false once `deadline` has passed.
bool WaitUntil(pthread_cond_t* cv, pthread_mutex_t* mu, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    pthread_cond_wait(cv, mu);
    return true;
  }
  timespec until = Monotonic(deadline);
  return pthread_cond_timedwait(cv, mu, &until) != ETIMEDOUT;
}

bool AwaitUntil(absl::Mutex* mu, const absl::Condition& cond,
                absl::Time deadline) {
  State& state = Of(mu);
  while (!cond.Eval()) {
    if (!WaitUntil(&state.changed, &state.mu, deadline)) return cond.Eval();
  }
  return true;
}

// absl::Notification's flag (after its Mutex; read inline by
// HasBeenNotified).
std::atomic<bool>* NotifiedFlag(const absl::Notification* n) {
  return reinterpret_cast<std::atomic<bool>*>(
      reinterpret_cast<char*>(const_cast<absl::Notification*>(n)) +
      sizeof(absl::Mutex));
}

bool WaitForNotificationUntil(const absl::Notification* n,
                              absl::Time deadline) {
  State& state = Of(n);
  pthread_mutex_lock(&state.mu);
  bool notified = NotifiedFlag(n)->load();
  while (!notified && WaitUntil(&state.changed, &state.mu, deadline)) {
    notified = NotifiedFlag(n)->load();
  }
  notified = NotifiedFlag(n)->load();
  pthread_mutex_unlock(&state.mu);
  return notified;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() { Forget(this); }
void Mutex::Lock() { pthread_mutex_lock(&Of(this).mu); }
bool Mutex::TryLock() { return pthread_mutex_trylock(&Of(this).mu) == 0; }
void Mutex::Unlock() {
  State& state = Of(this);
  pthread_cond_broadcast(&state.changed);
  pthread_mutex_unlock(&state.mu);
}
void Mutex::ReaderLock() { Lock(); }
bool Mutex::ReaderTryLock() { return TryLock(); }
void Mutex::ReaderUnlock() { Unlock(); }

void Mutex::Await(const Condition& cond) {
  AwaitUntil(this, cond, InfiniteFuture());
}
bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  return AwaitUntil(this, cond, Now() + timeout);
}
bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  return AwaitUntil(this, cond, deadline);
}
void Mutex::LockWhen(const Condition& cond) {
  Lock();
  Await(cond);
}
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  Lock();
  return AwaitWithTimeout(cond, timeout);
}
bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  Lock();
  return AwaitWithDeadline(cond, deadline);
}
void Mutex::ReaderLockWhen(const Condition& cond) { LockWhen(cond); }
bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  return LockWhenWithTimeout(cond, timeout);
}
bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  return LockWhenWithDeadline(cond, deadline);
}
void Mutex::AssertHeld() const {}
void Mutex::AssertReaderHeld() const {}
void Mutex::AssertNotHeld() const {}
void Mutex::EnableDebugLog(const char*) {}
void Mutex::EnableInvariantDebugging(void (*)(void*), void*) {}
void Mutex::ForgetDeadlockInfo() {}

CondVar::~CondVar() { Forget(this); }
void CondVar::Wait(Mutex* mu) {
  WaitUntil(&Of(this).changed, &Of(mu).mu, InfiniteFuture());
}
bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  return !WaitUntil(&Of(this).changed, &Of(mu).mu, Now() + timeout);
}
bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  return !WaitUntil(&Of(this).changed, &Of(mu).mu, deadline);
}
void CondVar::Signal() { pthread_cond_signal(&Of(this).changed); }
void CondVar::SignalAll() { pthread_cond_broadcast(&Of(this).changed); }
void CondVar::EnableDebugLog(const char*) {}

Notification::~Notification() { Forget(this); }
void Notification::Notify() {
  State& state = Of(this);
  pthread_mutex_lock(&state.mu);
  NotifiedFlag(this)->store(true);
  pthread_cond_broadcast(&state.changed);
  pthread_mutex_unlock(&state.mu);
}
void Notification::WaitForNotification() const {
  WaitForNotificationUntil(this, InfiniteFuture());
}
bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  return WaitForNotificationUntil(this, Now() + timeout);
}
bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  return WaitForNotificationUntil(this, deadline);
}

ABSL_NAMESPACE_END
}  // namespace absl
