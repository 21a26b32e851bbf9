// pandas DataFrames saved with DataFrame.to_pickle (the 2023 release's df_roi_meta.pkl), read
// without Python into the text table the CSV reader gives: the column names and, per row, each
// cell as text. The pickle is run by io::read_pickle allowing only pandas' frame, block manager,
// block and index reconstructions, NumPy's array reductions and builtins.slice, and nothing in
// it is executed; the object graph is then read as pandas builds it (pandas 1.x and 2.x layouts:
// a BlockManager made from (blocks, axes), or built from a state holding the blocks' values and
// places).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "brainalign/io/csv.h"

namespace brainalign::io {

// Cells: numbers in their shortest round-trip form ("3", "0.25"), a missing value (NaN, None)
// as "nan" (as pandas writes NaN to CSV: empty; here "nan", which readers of the CSV take as
// missing), strings as they are, booleans as "True"/"False". Columns of extension types
// (categorical, nullable integers), a MultiIndex or any other object are refused: InputError
// naming the file and what was found. IoError when the file cannot be read.
CsvTable read_pandas_table(const std::filesystem::path& path);
CsvTable parse_pandas_table(std::span<const std::uint8_t> bytes, const std::string& source);

}  // namespace brainalign::io
