#pragma once
// The global operator new and delete, replaced (tests/support/replaced_new.cpp) for a test that
// counts allocations or makes them fail. Its executable adds replaced_new.cpp to its sources
// and defines this hook, which every operator new calls first: true fails that allocation
// (std::bad_alloc, or nullptr from the nothrow forms).
bool allocation_fails() noexcept;
