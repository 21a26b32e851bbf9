// Test support: the message of the error an action throws.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <utility>

namespace brainalign::testing {

// Runs `action`, which must throw an E, and returns its message. Where it throws nothing, the
// test fails and the result is empty; an exception of another type propagates.
template <class E = std::exception, class F>
std::string error_message(F&& action) {
  try {
    std::forward<F>(action)();
  } catch (const E& error) {
    return error.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

}  // namespace brainalign::testing
