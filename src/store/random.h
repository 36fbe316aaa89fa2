// Random bytes and UUIDv7s for the write path, shared by the transaction scripts (service/tx/)
// and the backends. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace undersigned::store {

// Random bytes from a per-thread pool that libsodium refills 4 KiB at a time: one getrandom(2)
// per few hundred uuids and salts instead of one each, on the signing path. Refilled after a
// fork, so that two processes never hand out the same bytes. sodium_init must have run.
void RandomBytes(void* out, std::size_t n);

// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time-ordered, so a new
// row appends to a uuid index instead of dirtying a random page of it on every insert.
std::string NewUuid();

}  // namespace undersigned::store
