{{/* Names and labels. */}}
{{- define "wxgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "wxgate.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wxgate.labels" -}}
{{ include "wxgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "wxgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wxgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where every Secret key the chart mounts is read from. */}}
{{- define "wxgate.secretsDir" -}}/run/secrets/wxgate{{- end -}}

{{/*
The path of a mounted Secret key, from (list REF FIELD) where REF is
{secretName, key}; FIELD names the value in the error of a missing one.
*/}}
{{- define "wxgate.secretPath" -}}
{{- $ref := index . 0 -}}
{{- $field := index . 1 -}}
{{- if not (and $ref $ref.secretName $ref.key) -}}
{{- fail (printf "%s needs secretName and key (an existing Secret)" $field) -}}
{{- end -}}
{{- printf "%s/%s/%s" (include "wxgate.secretsDir" dict) $ref.secretName $ref.key -}}
{{- end -}}

{{/*
Every Secret key the configuration names, as YAML {secretName: [keys...]}: what
the Deployment mounts, so that each file wxgate.yaml names exists.
*/}}
{{- define "wxgate.secretKeys" -}}
{{- $refs := list -}}
{{- range .Values.accounts -}}
{{- $refs = append $refs .secret -}}
{{- with .callback -}}
{{- $refs = append $refs .token -}}
{{- if .encodingAesKey }}{{ $refs = append $refs .encodingAesKey }}{{ end -}}
{{- end -}}
{{- end -}}
{{- with .Values.redis.password -}}
{{- if .existingSecret -}}
{{- $refs = append $refs (dict "secretName" .existingSecret "key" .key) -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.server.mode "tls" -}}
{{- $tls := .Values.server.tls -}}
{{- $refs = append $refs (dict "secretName" $tls.existingSecret "key" $tls.certKey) -}}
{{- $refs = append $refs (dict "secretName" $tls.existingSecret "key" $tls.keyKey) -}}
{{- if $tls.clientCaKey -}}
{{- $refs = append $refs (dict "secretName" $tls.existingSecret "key" $tls.clientCaKey) -}}
{{- end -}}
{{- end -}}
{{- $bySecret := dict -}}
{{- range $refs -}}
{{- if and . .secretName .key -}}
{{- $keys := get $bySecret .secretName | default list -}}
{{- $_ := set $bySecret .secretName (append $keys .key | uniq) -}}
{{- end -}}
{{- end -}}
{{- toYaml $bySecret -}}
{{- end -}}

{{/* The grace period: preStop, then the drain, then a margin. */}}
{{- define "wxgate.terminationGracePeriodSeconds" -}}
{{- with .Values.drain -}}
{{- add (int .preStopSeconds) (int .timeoutSeconds) (int .marginSeconds) -}}
{{- end -}}
{{- end -}}
