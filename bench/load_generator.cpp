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

    // One thread issues the requests (paced when a rate is set) while at
    // most inFlight are outstanding; the callbacks only count and record, so
    // each commit's time is when its answer arrived.
    LoadResult run()
    {
        start_ = Clock::now();
        for (std::int64_t n = 0; n < options_.operations; ++n) {
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return outstanding_ < options_.inFlight; });
                if (result_.failed > 0 && result_.committed == 0 && result_.failed >= options_.inFlight)
                    break;  // nothing gets through (etcd down, refused): stop instead of failing every request
                ++outstanding_;
                ++issued_;
            }
            if (options_.operationsPerSecond > 0) {
                const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(double(n) / options_.operationsPerSecond));
                std::this_thread::sleep_until(due);  // pacing the load, not waiting for a condition
            }
            send(n);
        }
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return outstanding_ == 0 && released_ == issued_; });
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

    // Sends request number `n`.
    void send(std::int64_t n)
    {
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
        changed_.notify_all();
    }

    void finished(const grpc::Status& status, std::int64_t revision)
    {
        const auto now = Clock::now();
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
        --outstanding_;
        changed_.notify_all();
    }

    const LoadOptions options_;
    const std::string value_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
    Clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable changed_;  // outstanding_ or released_ changed
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
