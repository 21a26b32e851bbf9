"""scripts/check_dependencies.py on the repository itself and on small trees that break each rule."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_dependencies.py"

CMAKE = """
brainalign_add_module(base PUBLIC_LIBS Eigen3::Eigen)
brainalign_add_module(io DEPENDS base
  PRIVATE_LIBS z)  # a comment naming DEPENDS study
brainalign_add_module(study DEPENDS base io)
"""


def run(root):
    result = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True,
                            text=True)
    return result.returncode, result.stdout


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def clean_tree(root):
    write(root, {
        "src/CMakeLists.txt": CMAKE,
        "include/brainalign/base/error.h": "namespace brainalign {}\n",
        "src/base/error.cpp": '#include "brainalign/base/error.h"\nnamespace brainalign {}\n',
        "include/brainalign/io/npy.h":
            '#include "brainalign/base/error.h"\nnamespace brainalign::io {}\n',
        "src/io/npy.cpp": '#include "brainalign/io/npy.h"\n#include "unicode.h"\n'
                          "namespace brainalign::io {\nnamespace {}\n}\n",
        "src/io/unicode.h": "namespace brainalign::io::detail {}\n",
        "include/brainalign/study/runner.h": '#include "brainalign/io/npy.h"\n'
                                             "namespace brainalign::study {}\n",
        "src/study/runner.cpp": '#include "brainalign/study/runner.h"\n'
                                '// #include "brainalign/report/report.h" in a comment\n'
                                "namespace brainalign::study {}\n",
        "tests/io/npy_test.cpp": "",
        "tests/common/helpers.h": "",
    })


def test_the_repository_passes():
    code, out = run(ROOT)
    assert code == 0, out
    assert "13 modules" in out


def test_a_clean_tree_passes(tmp_path):
    clean_tree(tmp_path)
    code, out = run(tmp_path)
    assert code == 0, out
    assert "3 modules" in out


def test_an_include_against_the_declared_dependencies_is_named(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/io/csv.cpp": '#include "brainalign/study/runner.h"\n'})
    code, out = run(tmp_path)
    assert code == 1
    assert ("src/io/csv.cpp:1: module io includes brainalign/study/runner.h, but io does not "
            "depend on study (it may use: base, io)") in out


def test_another_modules_private_header_is_refused(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/study/table.cpp": '#include "io/unicode.h"\n'})
    code, out = run(tmp_path)
    assert code == 1
    assert "src/study/table.cpp:1: includes src/io/unicode.h, a private header of another module" in out


def test_a_missing_header_and_an_unknown_module_are_named(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/study/a.cpp": '#include "brainalign/io/gone.h"\n'
                                        '#include "brainalign/report/page.h"\n'})
    code, out = run(tmp_path)
    assert code == 1
    assert "src/study/a.cpp:1: includes brainalign/io/gone.h, which does not exist" in out
    assert "src/study/a.cpp:2: includes brainalign/report/page.h, which is in no module" in out


def test_a_cycle_in_the_declarations_is_named(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/CMakeLists.txt": CMAKE.replace("(base PUBLIC_LIBS", "(base DEPENDS study\n PUBLIC_LIBS")})
    code, out = run(tmp_path)
    assert code == 1
    assert "modules depend on each other in a cycle: base -> study -> base" in out


def test_a_namespace_other_than_the_modules_is_named(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/io/csv.cpp": "namespace brainalign::study {}\n",
                     "src/base/x.cpp": "namespace brainalign::io {}\n"})
    code, out = run(tmp_path)
    assert code == 1
    assert "src/io/csv.cpp:1: namespace brainalign::study in module io (its code belongs in brainalign::io)" in out
    assert "src/base/x.cpp:1: namespace brainalign::io in module base (its code belongs in brainalign)" in out


def test_folders_outside_the_modules_are_named(tmp_path):
    clean_tree(tmp_path)
    write(tmp_path, {"src/helpers/a.cpp": "", "include/brainalign/top.h": "",
                     "tests/misc/a_test.cpp": ""})
    code, out = run(tmp_path)
    assert code == 1
    assert "src/helpers/: not a module declared in src/CMakeLists.txt" in out
    assert "include/brainalign/top.h: outside every module folder" in out
    assert "tests/misc/: mirrors no module" in out
