// PyTorch checkpoints (torch.save's zip format) read without Python: the archive's data.pkl
// is run by a strict pickle interpreter that knows only the opcodes and globals torch.save
// writes for dicts, lists, tuples, strings, numbers and tensors; tensors become ATen tensors
// on the CPU that share storage exactly as they did when saved.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brainalign::neural {

class CheckpointData;

// One value of an unpickled checkpoint. A light handle into the TorchCheckpoint that owns it: it
// stays valid while that TorchCheckpoint (or a copy of it) lives.
class PickleValue {
 public:
  // kObject: any other Python value (a set, bytes, an instance of a class) of a checkpoint
  // read with TorchReadOptions::other_objects; it has no contents to ask for.
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict, kTensor, kObject };

  Kind kind() const;
  bool is_none() const { return kind() == Kind::kNone; }
  // Throw InputError naming the checkpoint when the value is of another kind.
  bool as_bool() const;
  std::int64_t as_int() const;
  // Floats, and ints converted to double.
  double as_double() const;
  const std::string& as_string() const;
  const at::Tensor& as_tensor() const;
  // Elements of a list or tuple.
  std::vector<PickleValue> items() const;
  // Entries of a dict (OrderedDict included) in insertion order.
  std::vector<std::pair<PickleValue, PickleValue>> entries() const;
  // Whether a dict has an entry with this string key.
  bool contains(std::string_view key) const;
  // The dict entry with this string key; throws InputError naming the key when it is absent.
  PickleValue at(std::string_view key) const;
  // Python-like text for messages and debugging (tensors as their dtype and shape).
  std::string repr() const;
  // The checkpoint file's name, for error messages.
  const std::string& source() const;

 private:
  friend class TorchCheckpoint;
  PickleValue(std::shared_ptr<const CheckpointData> data, std::size_t index)
      : data_(std::move(data)), index_(index) {}
  std::shared_ptr<const CheckpointData> data_;
  std::size_t index_ = 0;
};

// Human-readable name of a kind ("dict", "tensor", ...).
const char* kind_name(PickleValue::Kind kind);

// A loaded checkpoint: the object that torch.save was given.
class TorchCheckpoint {
 public:
  PickleValue root() const { return PickleValue(data_, root_); }

  // Used by the reader: the unpickled values and the index of the root among them.
  static TorchCheckpoint make(std::shared_ptr<const CheckpointData> data, std::size_t root) {
    TorchCheckpoint checkpoint;
    checkpoint.data_ = std::move(data);
    checkpoint.root_ = root;
    return checkpoint;
  }

 private:
  std::shared_ptr<const CheckpointData> data_;
  std::size_t root_ = 0;
};

struct TorchReadOptions {
  // Keep every other Python object as an opaque Kind::kObject value instead of refusing the
  // file: what a training checkpoint holds beside its weights (the optimizer's and callbacks'
  // state, hyper-parameters, a PyTorch Lightning .ckpt's loops). Nothing in the file is run;
  // tensors are still read as strictly.
  bool other_objects = false;
};

// Reads a file written by torch.save (zip format, any pickle protocol from 2 to 5 using the
// supported opcodes). Throws IoError when the file cannot be read and InputError, naming the
// file and the offending opcode, global, record or tensor, for anything else: legacy
// (non-zip) files, unknown opcodes, globals other than collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.<Type>Storage and torch.device,
// missing or short storage records, tensor views reaching outside their storage.
TorchCheckpoint read_torch_checkpoint(const std::filesystem::path& path,
                                      const TorchReadOptions& options = {});

// The same from bytes in memory; `source` names them in messages.
TorchCheckpoint parse_torch_checkpoint(std::span<const std::uint8_t> bytes,
                                       const std::string& source,
                                       const TorchReadOptions& options = {});

// The string-keyed tensors of a dict (a state_dict), in order. Throws InputError naming the
// key whose value is not a tensor.
std::vector<std::pair<std::string, at::Tensor>> tensor_dict(const PickleValue& dict);

}  // namespace brainalign::neural
