# Copies the schema with `namespace tflite;` renamed to `namespace tflite_ir;` (see CMakeLists.txt).
file(READ "${IN}" schema)
string(REPLACE "namespace tflite;" "namespace tflite_ir;" schema "${schema}")
file(WRITE "${OUT}" "${schema}")
