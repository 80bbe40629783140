"""Regenerates the .npy fixtures in this folder with numpy (python3-numpy).

The fixtures are committed; this script documents how they were made:
  python3 gen_npy.py
"""
import numpy as np

v = np.array([1.5, -2.25, 0.0, 3e-8, -1e300 / 1e290], dtype=np.float64)
np.save("f8_le.npy", v.astype("<f8"))
np.save("f8_be.npy", v.astype(">f8"))
np.save("f4_le.npy", v.astype("<f4"))
np.save("f4_be.npy", v.astype(">f4"))
np.save("empty_f8.npy", np.zeros(0, dtype="<f8"))
np.save("i8.npy", np.arange(5, dtype="<i8"))
np.save("f2.npy", v[:4].astype("<f2"))
np.save("c16.npy", v.astype("<c16"))
np.save("scalar_f8.npy", np.float64(1.5))
np.save("matrix_f8.npy", np.arange(6, dtype="<f8").reshape(2, 3))
np.save("fortran_f8.npy", np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)))
np.save("record.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<f4")]))
with open("v2_f8.npy", "wb") as f:
    np.lib.format.write_array(f, v, version=(2, 0))
with open("v3_f8.npy", "wb") as f:
    np.lib.format.write_array(f, v, version=(3, 0))
raw = open("f8_le.npy", "rb").read()
open("truncated_f8.npy", "wb").write(raw[:-3])
open("trailing_f8.npy", "wb").write(raw + b"\0" * 8)
open("header_only.npy", "wb").write(raw[:40])
