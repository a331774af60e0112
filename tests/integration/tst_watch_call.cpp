// The bidi Watch call against a real etcd: how far it reads ahead of an
// owner that does not take what it read.
#include "engine/watch_types.h"
#include "etcd_process.h"
#include "transport/watch_call.h"

#include <QtTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 20'000;  // deadline for conditions; never a sleep

// What gRPC's threads hand over: the inbox bell and the call's end.
struct Bell {
    std::atomic<int> rings{0};
    std::mutex mutex;
    std::condition_variable done;
    std::optional<grpc::Status> status;
    std::shared_ptr<grpc::ClientContext> context;  // released on the test's thread

    WatchCall::Sink sink()
    {
        WatchCall::Sink s;
        s.onInbox = [this] { ++rings; };
        s.onDone = [this](grpc::Status st, std::shared_ptr<grpc::ClientContext> ctx) {
            std::lock_guard lock(mutex);
            status = std::move(st);
            context = std::move(ctx);
            done.notify_all();
        };
        return s;
    }
    bool waitDone()
    {
        std::unique_lock lock(mutex);
        return done.wait_for(lock, std::chrono::milliseconds(kWaitMs), [this] { return status.has_value(); });
    }
};

etcdserverpb::WatchRequest createFromNow(const std::string& prefix)
{
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(prefixRangeEnd(prefix));
    return request;
}

}  // namespace

class TestWatchCall : public QObject {
    Q_OBJECT

private slots:
    void shouldStopReadingAheadAtTheByteLimitWhenValuesAreLarge()
    {
        // Given a watch on a real etcd whose owner has taken the creation
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        auto stub = etcdserverpb::Watch::NewStub(etcd.channel());
        Bell bell;
        WatchCall* call = WatchCall::start(*stub, std::make_unique<grpc::ClientContext>(), bell.sink());
        call->write(createFromNow("big/"));
        call->setReading(true);
        QTRY_VERIFY_WITH_TIMEOUT(call->readAhead().messages >= 1, kWaitMs);
        WatchCall::Inbox created = call->takeInbox();
        QCOMPARE(created.messages.size(), std::size_t(1));
        QVERIFY(created.messages.front().response->created());

        // When 24 values of 1 MiB are written, one revision each, and nobody
        // takes them: each arrives in a message of its own, one event, so
        // neither the message limit nor the event limit is near
        constexpr int kPuts = 24;
        const std::string value(1 << 20, 'v');
        for (int i = 0; i < kPuts; ++i)
            QVERIFY(etcd.put("big/" + std::to_string(i), value) > 0);

        // Then reading stops once the inbox holds the byte limit's worth, and
        // never more than one message past it
        QTRY_VERIFY_WITH_TIMEOUT(call->readAhead().full, kWaitMs);
        const WatchCall::ReadAhead held = call->readAhead();
        QVERIFY2(held.bytes >= WatchCall::kInboxByteLimit, qPrintable(QString::number(held.bytes)));
        QVERIFY2(held.bytes < WatchCall::kInboxByteLimit + (2 << 20), qPrintable(QString::number(held.bytes)));
        QVERIFY(held.events < kPuts);

        // And once the owner takes what it holds, the rest comes, whole and in order
        std::int64_t lastRevision = 0;
        int received = 0;
        QElapsedTimer deadline;
        deadline.start();
        while (received < kPuts && deadline.elapsed() < kWaitMs) {
            for (WatchCall::Message& message : call->takeInbox().messages) {
                for (const mvccpb::Event& event : message.response->events()) {
                    QCOMPARE(event.kv().key(), "big/" + std::to_string(received));
                    QVERIFY(event.kv().value() == value);
                    QVERIFY(event.kv().mod_revision() > lastRevision);
                    lastRevision = event.kv().mod_revision();
                    ++received;
                }
            }
            if (received < kPuts)
                QTRY_VERIFY_WITH_TIMEOUT(call->readAhead().messages > 0, kWaitMs);
        }
        QCOMPARE(received, kPuts);

        call->finish();
        QVERIFY(bell.waitDone());
        QVERIFY(bell.rings > 0);
    }
};

QTEST_GUILESS_MAIN(TestWatchCall)
#include "tst_watch_call.moc"
