// One tailor command at a time per output directory: two trainings writing
// the same checkpoint would interleave epochs.
#pragma once

#include <string>

namespace tailor {

// Creates `directory` if needed and holds an exclusive lock on its file
// "lock" for the object's life (the kernel drops it if the process dies).
// Throws Error naming the directory when it cannot be created or written,
// or when another process holds the lock.
class DirectoryLock {
public:
    explicit DirectoryLock(const std::string &directory);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock &) = delete;
    DirectoryLock &operator=(const DirectoryLock &) = delete;

private:
    int fd_ = -1;
};

// Throws DirectoryLock's "in use" error when another process holds
// `directory`'s lock; creates and writes nothing.
void refuse_if_held(const std::string &directory);

}  // namespace tailor
