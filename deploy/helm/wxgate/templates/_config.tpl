{{/*
wxgate.yaml (README: Configuration), built as data and written with toYaml so
that values cannot break its syntax. Field names are the gateway's own.
*/}}
{{- define "wxgate.config" -}}
{{- $v := .Values -}}
{{- $server := dict "grpc_listen" (printf "0.0.0.0:%d" (int $v.ports.grpc)) "reflection" $v.server.reflection -}}
{{- if $v.callback.enabled -}}
{{- $_ := set $server "callback_listen" (printf "0.0.0.0:%d" (int $v.ports.callback)) -}}
{{- end -}}
{{- $_ := set $server "drain_timeout" (printf "%ds" (int $v.drain.timeoutSeconds)) -}}
{{- if $v.metrics.enabled -}}
{{- $_ := set $server "admin_listen" (printf "0.0.0.0:%d" (int $v.ports.metrics)) -}}
{{- end -}}
{{- $access := dict -}}
{{- if eq $v.server.mode "mesh" -}}
{{- $_ := set $server "plaintext" true -}}
{{- with $v.server.mesh.identityHeader }}{{ $_ := set $access "identity_header" . }}{{ end -}}
{{- else if eq $v.server.mode "tls" -}}
{{- $t := $v.server.tls -}}
{{- if not $t.existingSecret }}{{ fail "server.tls.existingSecret is required with server.mode tls" }}{{ end -}}
{{- $tls := dict "cert_file" (include "wxgate.secretPath" (list (dict "secretName" $t.existingSecret "key" $t.certKey) "server.tls.certKey")) "key_file" (include "wxgate.secretPath" (list (dict "secretName" $t.existingSecret "key" $t.keyKey) "server.tls.keyKey")) -}}
{{- with $t.clientCaKey }}{{ $_ := set $tls "client_ca_file" (include "wxgate.secretPath" (list (dict "secretName" $t.existingSecret "key" .) "server.tls.clientCaKey")) }}{{ end -}}
{{- with $t.clientCertificates }}{{ $_ := set $tls "client_certificates" . }}{{ end -}}
{{- $_ := set $server "tls" $tls -}}
{{- $_ := set $server "health_listen" (printf "0.0.0.0:%d" (int $v.ports.health)) -}}
{{- else -}}
{{- fail (printf "server.mode: %q is neither mesh nor tls" $v.server.mode) -}}
{{- end -}}
{{- $config := dict "server" $server -}}
{{- $_ := set $config "upstream" (dict "max_connections" (int $v.upstream.maxConnections) "timeout" $v.upstream.timeout) -}}
{{- $accounts := list -}}
{{- range $i, $a := $v.accounts -}}
{{- $field := printf "accounts[%d]" $i -}}
{{- $acc := dict "appid" (required (printf "%s.appid" $field) $a.appid) "secret" (dict "file" (include "wxgate.secretPath" (list $a.secret (printf "%s.secret" $field)))) -}}
{{- with $a.name }}{{ $_ := set $acc "name" . }}{{ end -}}
{{- with $a.tokenApi }}{{ $_ := set $acc "token_api" . }}{{ end -}}
{{- with $a.callback -}}
{{- $cb := dict "token" (dict "file" (include "wxgate.secretPath" (list .token (printf "%s.callback.token" $field)))) -}}
{{- with .mode }}{{ $_ := set $cb "mode" . }}{{ end -}}
{{- with .encodingAesKey }}{{ $_ := set $cb "encoding_aes_key" (dict "file" (include "wxgate.secretPath" (list . (printf "%s.callback.encodingAesKey" $field)))) }}{{ end -}}
{{- with .replyWindow }}{{ $_ := set $cb "reply_window" . }}{{ end -}}
{{- $_ := set $acc "callback" $cb -}}
{{- end -}}
{{- $accounts = append $accounts $acc -}}
{{- end -}}
{{- $_ := set $config "accounts" $accounts -}}
{{- with $v.defaultAppid }}{{ $_ := set $config "default_appid" . }}{{ end -}}
{{- $replicas := ternary (int $v.autoscaling.maxReplicas) (int $v.replicaCount) (and $v.autoscaling.enabled true) -}}
{{- if $v.redis.address -}}
{{- $redis := dict "address" $v.redis.address -}}
{{- with $v.redis.db }}{{ $_ := set $redis "db" (int .) }}{{ end -}}
{{- with $v.redis.keyPrefix }}{{ $_ := set $redis "key_prefix" . }}{{ end -}}
{{- with $v.redis.password.existingSecret -}}
{{- $_ := set $redis "password" (dict "file" (include "wxgate.secretPath" (list (dict "secretName" . "key" $v.redis.password.key) "redis.password"))) -}}
{{- end -}}
{{- $_ := set $config "store" (dict "redis" $redis) -}}
{{- else if gt $replicas 1 -}}
{{- fail "redis.address is required with more than one replica: replicas share tokens and pushes through Redis" -}}
{{- end -}}
{{- $callers := list -}}
{{- range $i, $c := $v.callers -}}
{{- $caller := dict "name" (required (printf "callers[%d].name" $i) $c.name) "policy" (dict "appids" ($c.policy.appids | default list) "methods" ($c.policy.methods | default list)) -}}
{{- with $c.apiKeySha256 }}{{ $_ := set $caller "api_key_sha256" . }}{{ end -}}
{{- with $c.tlsIdentities }}{{ $_ := set $caller "tls_identities" . }}{{ end -}}
{{- with $c.rateLimit -}}
{{- $rl := dict "per_second" .perSecond -}}
{{- with .burst }}{{ $_ := set $rl "burst" (int .) }}{{ end -}}
{{- $_ := set $caller "rate_limit" $rl -}}
{{- end -}}
{{- $callers = append $callers $caller -}}
{{- end -}}
{{- $_ := set $access "callers" $callers -}}
{{- $_ := set $config "access" $access -}}
{{- $_ := set $config "events" (dict "retention_count" (int $v.events.retentionCount)) -}}
{{- toYaml $config -}}
{{- end -}}
