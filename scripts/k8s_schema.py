#!/usr/bin/env python3
"""Writes etcdscope's table of the Kubernetes API schemas.

The table (watchcore/decode/kubernetes/schema.txt) is what the Kubernetes
decoder builds its protobuf descriptors from, plus what protobuf does not
carry but Kubernetes' JSON needs: each field's JSON name, whether Go omits it
when empty, whether it is a pointer (kept even when zero), and whether its
fields are inlined into the parent. It is a table of facts: message and field
names, numbers and types, read from the published API sources:

  scripts/k8s_schema.py API APIMACHINERY APIEXTENSIONS AGGREGATOR > watchcore/decode/kubernetes/schema.txt

where each argument is a checkout of that repository (kubernetes/api,
kubernetes/apimachinery, kubernetes/apiextensions-apiserver,
kubernetes/kube-aggregator). The proto definitions give numbers and types;
the Go types beside them give the JSON names, omitempty, pointers and inlining,
matched by protobuf field number.

Table format, one line each:
  M <message> [<special>]            a message; special: how its JSON is written
  F <number> <o|r|m> <type> <json> <flags>
                                     a field, in Go's (JSON's) order; o optional,
                                     r repeated, m map<string, type>; flags:
                                     e omitempty, p pointer, i inlined, - none
"""
import os
import re
import sys

SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float",
           "sint32", "sint64", "fixed32", "fixed64"}

META = "k8s.io.apimachinery.pkg.apis.meta.v1."
EXT = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions."
# Messages whose JSON is not their fields (custom MarshalJSON in Go).
SPECIAL = {
    META + "Time": "time",
    META + "MicroTime": "microtime",
    META + "Duration": "duration",
    META + "FieldsV1": "raw",
    META + "Timestamp": "timestamp",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "raw",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
}
for version in ("v1", "v1beta1"):
    SPECIAL[EXT + version + ".JSON"] = "raw"
    SPECIAL[EXT + version + ".JSONSchemaPropsOrArray"] = "schemaorarray"
    SPECIAL[EXT + version + ".JSONSchemaPropsOrBool"] = "schemaorbool"
    SPECIAL[EXT + version + ".JSONSchemaPropsOrStringArray"] = "schemaorstringarray"

MESSAGE_RE = re.compile(r"^message (\w+) \{")
FIELD_RE = re.compile(r"^\s+(optional|repeated) ([\w.]+) (\w+) = (\d+);")
MAP_RE = re.compile(r"^\s+map<string, ([\w.]+)> (\w+) = (\d+);")
STRUCT_RE = re.compile(r"^type (\w+) struct \{")
GO_FIELD_RE = re.compile(r"^\s+(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")


def read_proto(path):
    """Yields (package, message, fields, nullable) for one generated.proto."""
    package = None
    lines = open(path, encoding="utf-8").read().splitlines()
    comment = []
    current = None
    for line in lines:
        if line.startswith("package "):
            package = line.split()[1].rstrip(";")
        if line.startswith("//"):
            comment.append(line)
            continue
        m = MESSAGE_RE.match(line)
        if m:
            nullable = any("+protobuf.nullable=true" in c for c in comment)
            current = (m.group(1), [], nullable)
        elif current and line.startswith("}"):
            yield package, current[0], current[1], current[2]
            current = None
        elif current:
            f = FIELD_RE.match(line)
            mp = MAP_RE.match(line)
            if f:
                label = "o" if f.group(1) == "optional" else "r"
                current[1].append((int(f.group(4)), label, f.group(2), f.group(3)))
            elif mp:
                current[1].append((int(mp.group(3)), "m", mp.group(1), mp.group(2)))
        if not line.strip().startswith("//"):
            comment = []


def read_go_structs(directory):
    """Go structs of one package: name -> [(number, json, omitempty, pointer, inline, gotype)]."""
    structs = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".go") or name.endswith("_test.go") or name.startswith("zz_") or "generated" in name:
            continue
        current = None
        for line in open(os.path.join(directory, name), encoding="utf-8"):
            m = STRUCT_RE.match(line)
            if m:
                current = structs.setdefault(m.group(1), [])
                continue
            if current is None:
                continue
            if line.startswith("}"):
                current = None
                continue
            f = GO_FIELD_RE.match(line)
            if not f or "protobuf:" not in f.group(3):
                continue
            field_name, go_type, tags = f.groups()
            tag = dict(re.findall(r'(\w+):"([^"]*)"', tags))
            parts = tag["protobuf"].split(",")
            if len(parts) < 2:
                continue  # protobuf:"-": not on the wire
            number = int(parts[1])
            json_parts = tag.get("json", "").split(",")
            if json_parts[0] == "-":
                continue
            inline = (field_name is None and json_parts[0] == "") or "inline" in json_parts[1:]
            json_name = json_parts[0] or (field_name or "")
            current.append((number, json_name, "omitempty" in json_parts[1:], go_type.startswith("*"), inline, go_type))
    return structs


def qualify(package, type_name):
    if type_name in SCALARS:
        return type_name
    if type_name.startswith("."):
        return type_name[1:]
    return package + "." + type_name


def main(roots):
    protos = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if "test" not in d and d not in ("vendor", "examples", "third_party"))
            if "generated.proto" in filenames:
                protos.append(dirpath)
    out = sys.stdout
    seen = set()
    for directory in sorted(protos):
        structs = read_go_structs(directory)
        for package, message, fields, nullable in read_proto(os.path.join(directory, "generated.proto")):
            full = package + "." + message
            if full in seen:
                continue
            seen.add(full)
            special = SPECIAL.get(full) or ("list" if nullable else "")
            out.write(("M %s %s" % (full, special)).rstrip() + "\n")
            by_number = {f[0]: f for f in fields}
            go_fields = structs.get(message)
            ordered = []
            if go_fields:
                for number, json_name, omitempty, pointer, inline, go_type in go_fields:
                    if number in by_number:
                        ordered.append((by_number.pop(number), json_name, omitempty, pointer, inline))
            # Fields the Go side does not describe (or a message without a Go struct): proto's own name, omitted when empty.
            for f in fields:
                if f[0] in by_number:
                    ordered.append((f, f[3], True, False, False))
            for (number, label, type_name, proto_name), json_name, omitempty, pointer, inline in ordered:
                flags = ("e" if omitempty else "") + ("p" if pointer else "") + ("i" if inline else "")
                out.write("F %d %s %s %s %s\n" % (number, label, qualify(package, type_name), json_name or proto_name,
                                                   flags or "-"))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
