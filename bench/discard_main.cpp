// etcdscope-discard: the physical limit of a watch client on this machine, as
// a process of its own, so that its CPU time and resident size can be set
// beside etcdscope-cli's and etcdctl's (issue 17). One plain gRPC watch that
// receives and throws events away, nothing else: no engine, no output.
//   etcdscope-discard --endpoint HOST:PORT --prefix P --rev FIRST --until-rev LAST
// Exits 0 once an event at LAST or later was received, 1 when the stream ended
// before, 2 on a usage error. Prints the number of events received on stdout.
#include "engine/watch_types.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv)
{
    std::string endpoint = "127.0.0.1:2379";
    std::string prefix;
    long long first = 0;
    long long last = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        const char* value = argv[i + 1];
        if (option == "--endpoint") endpoint = value;
        else if (option == "--prefix") prefix = value;
        else if (option == "--rev") first = std::atoll(value);
        else if (option == "--until-rev") last = std::atoll(value);
        else {
            std::fprintf(stderr, "etcdscope-discard: unknown option %s.\n", option.c_str());
            return 2;
        }
    }
    if (argc % 2 == 0 || prefix.empty() || last <= 0) {
        std::fprintf(stderr, "Usage: etcdscope-discard --endpoint HOST:PORT --prefix P --rev FIRST --until-rev LAST\n");
        return 2;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    auto stub = etcdserverpb::Watch::NewStub(
        grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext context;
    auto stream = stub->Watch(&context);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(etcdscope::prefixRangeEnd(prefix));
    create->set_start_revision(first);
    if (!stream->Write(request))
        return 1;
    etcdserverpb::WatchResponse response;
    long long events = 0;
    bool reached = false;
    while (!reached && stream->Read(&response)) {
        for (const auto& event : response.events()) {
            ++events;
            reached = reached || event.kv().mod_revision() >= last;
        }
    }
    context.TryCancel();
    std::printf("%lld\n", events);
    return reached ? 0 : 1;
}
