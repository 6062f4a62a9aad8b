#include "util/big_stack.h"

#include <pthread.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace sm::util {

namespace {
struct Job {
  const std::function<void()>* fn;
  std::exception_ptr error;
};

void* run_job(void* arg) {
  Job* job = static_cast<Job*>(arg);
  try {
    (*job->fn)();
  } catch (...) {
    job->error = std::current_exception();
  }
  return nullptr;
}
}  // namespace

void run_with_stack(size_t bytes, const std::function<void()>& fn) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) throw std::runtime_error("pthread_attr_init failed");
  int rc = pthread_attr_setstacksize(&attr, bytes);
  Job job{&fn, nullptr};
  pthread_t thread;
  if (rc == 0) rc = pthread_create(&thread, &attr, run_job, &job);
  pthread_attr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error("cannot start a thread with a " + std::to_string(bytes >> 20) +
                             " MiB stack (error " + std::to_string(rc) + ")");
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace sm::util
