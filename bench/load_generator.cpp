#include "load_generator.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace etcdscope::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Shared by every call in flight; calls complete on gRPC's threads.
class Load {
public:
    explicit Load(const LoadOptions& options)
        : options_(options)
        , value_(std::size_t(std::max(0, options.valueSize)), 'v')
    {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);
        args.SetMaxSendMessageSize(-1);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        kv_ = etcdserverpb::KV::NewStub(
            grpc::CreateCustomChannel(options.endpoint, grpc::InsecureChannelCredentials(), args));
        if (options.recordCommits)
            result_.commits.reserve(std::size_t(std::max<std::int64_t>(0, options.operations)));
    }

    LoadResult run()
    {
        start_ = Clock::now();
        const int initial = int(std::min<std::int64_t>(options_.inFlight, options_.operations));
        {
            std::lock_guard lock(mutex_);
            issued_ = initial;
            outstanding_ = initial;
        }
        for (int i = 0; i < initial; ++i)
            send(i);
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return outstanding_ == 0 && released_ == issued_; });
        result_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        result_.events = result_.committed * std::max(1, options_.putsPerTransaction);
        return std::move(result_);
    }

private:
    std::string keyFor(std::int64_t n) const
    {
        return options_.prefix + std::to_string(n % std::max(1, options_.keyCount));
    }

    // One request's state. gRPC destroys the callback (and with it this) on
    // its own thread after running it; the context goes first, then the
    // load learns the call is gone, so it never outlives the channel.
    template <typename Request, typename Response>
    struct Call {
        Load* load;
        std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
        Request request;
        Response response;
        explicit Call(Load* owner) : load(owner) {}
        ~Call()
        {
            context.reset();
            load->released();
        }
    };

    // Sends request number `n`, paced when a rate is set.
    void send(std::int64_t n)
    {
        if (options_.operationsPerSecond > 0) {
            const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(double(n) / options_.operationsPerSecond));
            std::this_thread::sleep_until(due);  // pacing the load, not waiting for a condition
        }
        if (options_.putsPerTransaction <= 1) {
            auto call = std::make_shared<Call<etcdserverpb::PutRequest, etcdserverpb::PutResponse>>(this);
            call->request.set_key(keyFor(n));
            call->request.set_value(value_);
            kv_->async()->Put(call->context.get(), &call->request, &call->response, [call](grpc::Status status) {
                call->load->finished(status, call->response.header().revision());
            });
        } else {
            auto call = std::make_shared<Call<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse>>(this);
            const std::int64_t first = n * options_.putsPerTransaction;
            for (int i = 0; i < options_.putsPerTransaction; ++i) {
                auto* put = call->request.add_success()->mutable_request_put();
                put->set_key(keyFor(first + i));
                put->set_value(value_);
            }
            kv_->async()->Txn(call->context.get(), &call->request, &call->response, [call](grpc::Status status) {
                call->load->finished(status, call->response.header().revision());
            });
        }
    }

    void released()
    {
        std::lock_guard lock(mutex_);
        ++released_;
        done_.notify_all();
    }

    void finished(const grpc::Status& status, std::int64_t revision)
    {
        const auto now = Clock::now();
        std::int64_t next = -1;
        {
            std::lock_guard lock(mutex_);
            if (status.ok()) {
                ++result_.committed;
                result_.firstRevision = result_.firstRevision ? std::min(result_.firstRevision, revision) : revision;
                result_.lastRevision = std::max(result_.lastRevision, revision);
                if (options_.recordCommits)
                    result_.commits.push_back({revision, now});
            } else {
                ++result_.failed;
                if (result_.firstError.empty())
                    result_.firstError = status.error_message();
            }
            if (issued_ < options_.operations && result_.failed < options_.operations) {
                next = issued_++;
            } else {
                --outstanding_;
                if (outstanding_ == 0)
                    done_.notify_all();
            }
        }
        if (next >= 0)
            send(next);
    }

    const LoadOptions options_;
    const std::string value_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
    Clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable done_;
    std::int64_t issued_ = 0;
    std::int64_t outstanding_ = 0;
    std::int64_t released_ = 0;  // calls whose state (and context) is gone
    LoadResult result_;
};

}  // namespace

LoadResult runLoad(const LoadOptions& options)
{
    Load load(options);
    return load.run();
}

}  // namespace etcdscope::bench
