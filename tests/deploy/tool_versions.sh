# The pinned versions of the deployment tests' tools, read by wxgate.sh (which
# installs them) and tests/deploy/CMakeLists.txt (which finds them).
HELM_VERSION=v3.21.4           # go install helm.sh/helm/v3/cmd/helm@...
GATEWAY_API_VERSION=v1.6.3     # Go module sigs.k8s.io/gateway-api: its CRDs' schemas
