#pragma once

// The Provider on containerd + CNI. Every function is a record container
// (labels: the deployment, the desired replica count) plus one container,
// task, network namespace and IP per replica (see labels.hpp). containerd
// and the CNI result cache are the only state: a new provider rebuilds its
// view from them, restarts what died meanwhile and cleans what leaked.
//
// Threads: any number of callers. A mutex guards the in-memory view (the
// invoke path's resolve() only reads it); operations on one function run
// one after another under that function's own lock, so a long deploy
// never blocks resolve() or other functions. A supervisor thread follows
// containerd's task events and restarts replicas that exit unexpectedly,
// with backoff; a reconciler thread does restarts, brings replica counts
// back to the desired ones after a recovery, and rotates logs.

#include "api/function_ref.hpp"
#include "containerd/client.hpp"
#include "image/store.hpp"
#include "network/cni.hpp"
#include "provider/provider.hpp"
#include "provider/provider_config.hpp"
#include "provider/secrets.hpp"
#include "provider/spec.hpp"
#include "provider/start_stages.hpp"
#include "provider/usage.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace faasd::provider {

// Paused: frozen by park(); not served, not probed, not restarted.
enum class ReplicaState { Starting, Ready, Crashed, Stopping, Paused };

struct Replica {
    std::string id;    // container id: <function>-<random>
    std::string cniId; // <namespace>-<container id>: the CNI id and netns name
    std::string netns; // netns path
    std::string ip;
    uint32_t pid = 0; // of the current task's init process
    ReplicaState state = ReplicaState::Starting;
    uint32_t restarts = 0;
    std::chrono::steady_clock::time_point nextRestart{};
    std::chrono::milliseconds backoff{0};
};

// What a replica of a deployment is made from, resolved once per deploy
// (and again after a recovery, when first needed).
struct ReplicaTemplate {
    std::string imageName; // normalised reference in containerd's store
    image::ImageConfig config;
    std::string chainId; // parent of each replica's rw snapshot
    User user;
    std::string secretsDir; // empty without secrets
    std::string resolvConf;
    std::string process; // the fprocess its replicas run (runProcess)
};

class ContainerdProvider final : public Provider {
public:
    // Connects, makes sure the default namespace and the network exist,
    // recovers functions already in containerd, and starts the supervisor.
    static Result<std::unique_ptr<ContainerdProvider>> create(ProviderConfig config);
    // Stops the supervisor; functions keep running (a restart recovers them).
    ~ContainerdProvider() override;

    Result<void> deploy(const api::FunctionDeployment& deployment) override;
    Result<void> update(const api::FunctionDeployment& deployment) override;
    Result<void> remove(const std::string& name, const std::string& ns) override;
    Result<std::vector<api::FunctionStatus>> list(const std::string& ns) override;
    Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) override;
    Result<void> scale(const std::string& name, const std::string& ns, uint64_t replicas) override;
    Result<std::vector<Endpoint>> resolve(const std::string& name, const std::string& ns) override;
    Result<void> park(const std::string& name, const std::string& ns) override;
    Result<void> wake(const std::string& name, const std::string& ns, uint64_t replicas) override;
    bool isParked(const std::string& name, const std::string& ns) override;
    UpstreamTimeout upstreamTimeout(const std::string& name, const std::string& ns) override;

    Result<std::vector<api::Secret>> listSecrets(const std::string& ns) override;
    Result<void> createSecret(const api::Secret& secret) override;
    Result<void> updateSecret(const api::Secret& secret) override;
    Result<void> removeSecret(const std::string& name, const std::string& ns) override;

    Result<std::vector<std::string>> listNamespaces() override;
    Result<api::NamespaceRequest> getNamespace(const std::string& name) override;
    Result<void> createNamespace(const api::NamespaceRequest& ns) override;
    Result<void> updateNamespace(const api::NamespaceRequest& ns) override;
    Result<void> removeNamespace(const std::string& name) override;

    Result<void> logs(const api::LogRequest& request, const LogSink& sink,
                      const std::atomic<bool>& stop) override;

    api::ProviderInfo info() override;

    // Where replica starts spent their time, stage by stage (for /metrics
    // and bench/provider).
    const StartStages& startStages() const { return startStages_; }

    // The replicas of a function as the provider sees them (for tests and
    // diagnostics).
    Result<std::vector<Replica>> replicas(const std::string& name, const std::string& ns);
    const ProviderConfig& config() const { return config_; }

private:
    struct Function {
        api::FunctionDeployment deployment;
        // The fprocess its replicas run (kProcessLabel); nullopt while not
        // known (a record that predates it, and no replica to read).
        std::optional<std::string> process;
        uint64_t desired = 0;
        std::chrono::system_clock::time_point createdAt{};
        std::map<std::string, Replica> replicas;
        std::shared_ptr<const ReplicaTemplate> tmpl;
        bool reconcile = false;  // replica count to be brought to desired
        bool parked = false;     // replicas Paused; the status reports 0
        UpstreamTimeout timeout; // of the deployment, read once (timeout.hpp)
    };

    ContainerdProvider(ProviderConfig config, containerd::Client client, network::Cni cni);

    containerd::Client inNs(const std::string& ns) const { return client_.withNamespace(ns); }
    // The cgroups of a function's replicas that have a task.
    std::vector<std::string> cgroupsOf(const api::FunctionRef& key, const Function& fn) const;
    std::shared_ptr<std::mutex> opLock(const api::FunctionRef& key);
    Result<void> requireFunctionNamespace(const std::string& ns) const;
    Result<void> checkDeployment(const api::FunctionDeployment& d) const;

    // replicas.cpp
    Result<std::shared_ptr<const ReplicaTemplate>> makeTemplate(const api::FunctionDeployment& d);
    Result<Replica> startReplica(const api::FunctionDeployment& d, const ReplicaTemplate& t);
    // timer, when given, times the task's create and start (StartStage).
    Result<uint32_t> startTask(const std::string& ns, const std::string& name, const Replica& r,
                               StageTimer* timer = nullptr);
    Result<void> waitReady(const std::string& ns, const Replica& r,
                           std::chrono::steady_clock::time_point deadline);
    // Starts n replicas at once and waits until all are ready; on any
    // failure destroys all of them.
    Result<std::vector<Replica>> startReady(const api::FunctionDeployment& d,
                                            const ReplicaTemplate& t, uint64_t n);
    // SIGTERM, grace period, SIGKILL; then destroyReplica.
    void stopReplica(const std::string& ns, const std::string& name, const Replica& r);
    // Removes whatever exists of a replica: task, container, snapshot, CNI
    // attachment, netns, files. Never fails; logs what it could not do.
    void destroyReplica(const std::string& ns, const std::string& name, const std::string& id);
    std::filesystem::path functionDir(const std::string& ns, const std::string& name) const;
    std::filesystem::path logDir(const std::string& ns, const std::string& name) const;
    Result<void> setDesired(const api::FunctionRef& key, const api::FunctionDeployment& d,
                            uint64_t n);
    Result<void> scaleLocked(const api::FunctionRef& key, uint64_t replicas);
    void removeLocked(const api::FunctionRef& key);

    // park.cpp
    // Resumes every Paused replica of a parked function (Ready again, or
    // Crashed for the reconciler when a resume fails); false when none
    // serves afterwards.
    bool resumeLocked(const api::FunctionRef& key);

    // supervisor.cpp
    Result<void> recover();
    void recoverNamespace(const std::string& ns, std::set<std::string>& ownedCniIds);
    void superviseEvents();
    void onExit(const std::string& ns, const std::string& id, uint32_t pid);
    void reconcileLoop();
    void restartReplica(const api::FunctionRef& key, const std::string& id);
    void reconcileFunction(const api::FunctionRef& key);
    void probeStarting(const api::FunctionRef& key, const std::string& id);
    void rotateLogs();
    // Marks Ready replicas whose task is gone or stopped as crashed: a
    // safety net for exits whose event was missed (reconnects, startup).
    void sweepTasks();
    void wake();

    ProviderConfig config_;
    containerd::Client client_;
    std::unique_ptr<network::Cni> cni_;
    SecretStore secrets_;
    UsageMeter usage_;
    StartStages startStages_;

    mutable std::mutex mu_;
    api::FunctionMap<Function> functions_;
    api::FunctionMap<std::shared_ptr<std::mutex>> opLocks_;

    std::atomic<bool> stopping_{false};
    std::condition_variable wake_;
    bool woken_ = false; // guarded by mu_
    std::mutex streamMu_;
    std::optional<containerd::EventStream> stream_;
    std::thread eventsThread_;
    std::thread reconcileThread_;
};

} // namespace faasd::provider
