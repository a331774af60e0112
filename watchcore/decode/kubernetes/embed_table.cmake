# Writes the schema table into a C++ source as one string (cmake -P).
file(READ "${IN}" content)
file(WRITE "${OUT}" "// Generated from ${NAME} at build time; edit that file, not this one.\nnamespace etcdscope::kubernetes {\nextern const char kSchemaTable[];\nconst char kSchemaTable[] = R\"schema(${content})schema\";\n}\n")
