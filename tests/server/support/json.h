#pragma once
// Reading JSON responses in tests, through Cap'n Proto's codec (the same library pitd writes
// with, which is fine: the tests check shapes and values, not the codec). A missing member is a
// Json whose exists() is false; reading a value of the wrong kind throws.
#include <capnp/compat/json.h>

#include <memory>
#include <string>
#include <vector>

namespace pitlog::testing {

class Json {
 public:
  // Throws std::runtime_error when the text is not JSON.
  static Json parse(const std::string& text);

  bool exists() const { return present_; }
  bool isNull() const;
  bool isString() const;
  bool isNumber() const;
  bool isBool() const;
  bool isArray() const;
  bool isObject() const;

  Json operator[](const std::string& member) const;
  Json operator[](size_t index) const;
  size_t size() const;  // of an array or object
  std::vector<std::string> keys() const;  // of an object, in order

  std::string str() const;
  double num() const;
  bool boolean() const;
  std::vector<std::string> strings() const;  // an array of strings

 private:
  std::shared_ptr<capnp::MallocMessageBuilder> message_;
  capnp::JsonValue::Reader value_;
  bool present_ = false;
};

}  // namespace pitlog::testing
