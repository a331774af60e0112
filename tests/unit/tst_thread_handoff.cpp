// Mailbox and MailboxRef: work posted from other threads runs on the
// mailbox's thread, in the order it was posted, and nothing posted after
// the owner closed its reference runs at all.
#include "transport/thread_handoff.h"

#include <QCoreApplication>
#include <QTest>
#include <QThread>

#include <memory>
#include <vector>

using namespace etcdscope;

namespace {

constexpr int kWaitMs = 10000;

}  // namespace

class TestThreadHandoff : public QObject {
    Q_OBJECT

private slots:
    void shouldRunWorkFromOtherThreadsOnTheMailboxThreadInOrder()
    {
        // Given a mailbox on this thread, and two threads posting to it through one reference
        QObject owner;
        auto ref = std::make_shared<MailboxRef>(new Mailbox(&owner));
        std::vector<std::pair<int, int>> ran;  // (poster, sequence), touched only on this thread
        bool allOnThisThread = true;
        const QThread* here = QThread::currentThread();
        constexpr int kPerPoster = 2000;
        auto poster = [&](int id) {
            return QThread::create([&, id] {
                for (int i = 0; i < kPerPoster; ++i)
                    ref->post([&, id, i] {
                        allOnThisThread = allOnThisThread && QThread::currentThread() == here;
                        ran.emplace_back(id, i);
                    });
            });
        };
        std::unique_ptr<QThread> a(poster(0));
        std::unique_ptr<QThread> b(poster(1));

        // When both post while this thread runs its events
        a->start();
        b->start();
        QTRY_COMPARE_WITH_TIMEOUT(ran.size(), std::size_t(2 * kPerPoster), kWaitMs);
        QVERIFY(a->wait(kWaitMs) && b->wait(kWaitMs));

        // Then every piece ran here, each poster's in the order posted
        QVERIFY(allOnThisThread);
        int next[2] = {0, 0};
        for (const auto& [id, i] : ran) {
            QCOMPARE(i, next[id]);
            ++next[id];
        }
    }

    void shouldDropWhatIsPostedAfterTheOwnerClosedItsReference()
    {
        // Given a reference whose owner has closed it
        auto owner = std::make_unique<QObject>();
        auto ref = std::make_shared<MailboxRef>(new Mailbox(owner.get()));
        int before = 0;
        int after = 0;
        ref->post([&] { ++before; });
        QTRY_COMPARE_WITH_TIMEOUT(before, 1, kWaitMs);
        ref->close();

        // When another thread posts after that, and the mailbox is gone
        std::unique_ptr<QThread> late(QThread::create([&] { ref->post([&] { ++after; }); }));
        late->start();
        QVERIFY(late->wait(kWaitMs));
        owner.reset();
        ref->post([&] { ++after; });

        // Then none of it runs, also once this thread has run the events queued since
        bool marker = false;
        QObject context;
        QMetaObject::invokeMethod(&context, [&] { marker = true; }, Qt::QueuedConnection);
        QTRY_VERIFY_WITH_TIMEOUT(marker, kWaitMs);
        QCoreApplication::processEvents();
        QCOMPARE(after, 0);
        QCOMPARE(before, 1);
    }

    void shouldDropWorkStillQueuedWhenTheMailboxIsDeleted()
    {
        // Given work queued to a mailbox that has not run it yet
        auto owner = std::make_unique<QObject>();
        auto ref = std::make_shared<MailboxRef>(new Mailbox(owner.get()));
        int ran = 0;
        ref->post([&] { ++ran; });

        // When its owner closes the reference and goes before the events are run
        ref->close();
        owner.reset();
        QCoreApplication::processEvents();

        // Then the queued work is dropped with the mailbox
        QCOMPARE(ran, 0);
    }
};

QTEST_GUILESS_MAIN(TestThreadHandoff)
#include "tst_thread_handoff.moc"
