#include "load_writer.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <random>

namespace etcdscope::testing {

using namespace std::chrono_literals;

std::vector<std::string> scenarioKeys(int perPrefix)
{
    std::vector<std::string> keys;
    for (const char* prefix : {"f/a/", "f/b/", "f/c/"})
        for (int i = 0; i < perPrefix; ++i) {
            char name[16];
            std::snprintf(name, sizeof name, "%02d", i);
            keys.push_back(prefix + std::string(name));
        }
    return keys;
}

LoadWriter::LoadWriter(std::vector<std::string> endpoints, LoadMix mix)
    : endpoints_(std::move(endpoints))
    , mix_(std::move(mix))
{
}

LoadWriter::~LoadWriter() { stop(); }

void LoadWriter::start()
{
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void LoadWriter::stop()
{
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
}

void LoadWriter::run()
{
    std::mt19937_64 random(mix_.seed);
    std::size_t member = 0;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    auto connect = [&] {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
        kv = etcdserverpb::KV::NewStub(grpc::CreateCustomChannel(endpoints_[member], grpc::InsecureChannelCredentials(),
                                                                 args));
    };
    connect();
    std::int64_t counter = 0;
    const auto pace = mix_.opsPerSecond > 0 ? std::chrono::microseconds(1'000'000 / mix_.opsPerSecond)
                                            : std::chrono::microseconds(0);
    auto next = std::chrono::steady_clock::now();
    std::uniform_int_distribution<std::size_t> anyKey(0, mix_.keys.size() - 1);
    std::uniform_int_distribution<int> percent(0, 99);
    while (!stop_) {
        if (pace.count() > 0) {
            next += pace;
            std::this_thread::sleep_until(next);  // pacing of the load, not a wait for a condition
        }
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 2s);
        const int dice = percent(random);
        grpc::Status status;
        std::int64_t revision = 0;
        const std::string value = "v" + std::to_string(++counter);
        if (dice < mix_.putPercent) {
            etcdserverpb::PutRequest request;
            request.set_key(mix_.keys[anyKey(random)]);
            request.set_value(value);
            etcdserverpb::PutResponse response;
            status = kv->Put(&context, request, &response);
            revision = response.header().revision();
        } else if (dice < mix_.putPercent + mix_.deletePercent) {
            etcdserverpb::DeleteRangeRequest request;
            request.set_key(mix_.keys[anyKey(random)]);
            etcdserverpb::DeleteRangeResponse response;
            status = kv->DeleteRange(&context, request, &response);
            revision = response.header().revision();
        } else {
            std::vector<std::string> keys = mix_.keys;
            std::shuffle(keys.begin(), keys.end(), random);
            keys.resize(std::min<std::size_t>(keys.size(), std::size_t(std::max(1, mix_.transactionSize))));
            etcdserverpb::TxnRequest request;
            for (const std::string& key : keys) {
                auto* put = request.add_success()->mutable_request_put();
                put->set_key(key);
                put->set_value(value);
            }
            etcdserverpb::TxnResponse response;
            status = kv->Txn(&context, request, &response);
            revision = response.header().revision();
        }
        if (status.ok()) {
            ++committed_;
            lastRevision_ = std::max(lastRevision_.load(), revision);
        } else {
            ++failed_;
            member = (member + 1) % endpoints_.size();
            connect();
            next = std::chrono::steady_clock::now() + 50ms;  // back off a little from a failed member
        }
    }
}

}  // namespace etcdscope::testing
