// etcdscope-load: writes a load into etcd (benchmarks, demos).
//   etcdscope-load --endpoint 127.0.0.1:2379 --ops 200000 --txn 100 --in-flight 64
#include "load_generator.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void usage(FILE* to)
{
    std::fprintf(to,
                 "Usage: etcdscope-load [--endpoint HOST:PORT] [--ops N] [--txn PUTS] [--in-flight N]\n"
                 "                      [--keys N] [--value-size BYTES] [--prefix P] [--rate OPS_PER_S]\n"
                 "Writes N requests (puts, or transactions of PUTS puts) with N in flight and prints\n"
                 "what etcd committed. Exit codes: 0 every request committed, 1 some failed, 2 usage.\n");
}

bool number(const char* text, long long& out, long long min)
{
    char* end = nullptr;
    out = std::strtoll(text, &end, 10);
    return end && *end == '\0' && end != text && out >= min;
}

}  // namespace

int main(int argc, char** argv)
{
    etcdscope::bench::LoadOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "etcdscope-load: %s needs a value.\n", arg.c_str());
            usage(stderr);
            return 2;
        }
        const char* value = argv[++i];
        long long n = 0;
        bool ok = true;
        if (arg == "--endpoint") options.endpoint = value;
        else if (arg == "--prefix") options.prefix = value;
        else if (arg == "--ops") ok = number(value, n, 1), options.operations = n;
        else if (arg == "--txn") ok = number(value, n, 1), options.putsPerTransaction = int(n);
        else if (arg == "--in-flight") ok = number(value, n, 1), options.inFlight = int(n);
        else if (arg == "--keys") ok = number(value, n, 1), options.keyCount = int(n);
        else if (arg == "--value-size") ok = number(value, n, 0), options.valueSize = int(n);
        else if (arg == "--rate") ok = number(value, n, 0), options.operationsPerSecond = double(n);
        else {
            std::fprintf(stderr, "etcdscope-load: unknown option %s.\n", arg.c_str());
            usage(stderr);
            return 2;
        }
        if (!ok) {
            std::fprintf(stderr, "etcdscope-load: %s needs a whole number, not \"%s\".\n", arg.c_str(), value);
            return 2;
        }
    }
    const etcdscope::bench::LoadResult r = etcdscope::bench::runLoad(options);
    std::printf("committed %lld of %lld requests (%lld events) in %.3f s: %.0f requests/s, %.0f events/s; "
                "revisions %lld..%lld\n",
                (long long)r.committed, (long long)options.operations, (long long)r.events, r.seconds,
                r.seconds > 0 ? double(r.committed) / r.seconds : 0.0, r.seconds > 0 ? double(r.events) / r.seconds : 0.0,
                (long long)r.firstRevision, (long long)r.lastRevision);
    if (r.failed > 0) {
        std::fprintf(stderr, "%lld requests failed; the first: %s\n", (long long)r.failed, r.firstError.c_str());
        return 1;
    }
    return 0;
}
