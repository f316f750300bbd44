{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "elasticache-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart unless the release already carries the chart's name. */}}
{{- define "elasticache-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "elasticache-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release. helm.sh/chart and the
version labels stay out of them because a selector cannot change on upgrade.
*/}}
{{- define "elasticache-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "elasticache-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "elasticache-exporter.labels" -}}
helm.sh/chart: {{ include "elasticache-exporter.chart" . }}
{{ include "elasticache-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: exporter
app.kubernetes.io/part-of: elasticache-exporter
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "elasticache-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "elasticache-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Lease the processes elect their leader with (ha.lease). */}}
{{- define "elasticache-exporter.leaseName" -}}
{{- default (include "elasticache-exporter.fullname" .) .Values.ha.lease.name }}
{{- end }}

{{- define "elasticache-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The replication group every series is labelled with. */}}
{{- define "elasticache-exporter.replicationGroup" -}}
{{- $cfgGroup := "" }}
{{- with .Values.config.elasticache }}{{ $cfgGroup = .replication_group_id | default "" }}{{ end }}
{{- .Values.replicationGroupId | default $cfgGroup }}
{{- end }}

{{/* Paths inside the container; the config refers to them. */}}
{{- define "elasticache-exporter.configDir" -}}/etc/elasticache-exporter{{- end }}

{{/*
The exporter's config file: values.config plus the file paths of the
mounted Secrets. Only paths are added, never a secret's value.
*/}}
{{- define "elasticache-exporter.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $redis := get $cfg "redis" | default dict }}
{{- if .Values.auth.existingSecret }}
{{- $_ := set $redis "password" (dict "file" (printf "%s/auth/token" (include "elasticache-exporter.configDir" .))) }}
{{- end }}
{{- if .Values.redisTLS.caSecret }}
{{- $tls := get $redis "tls" | default dict }}
{{- $_ := set $tls "enabled" true }}
{{- $_ := set $tls "ca_file" (printf "%s/redis-tls/ca.crt" (include "elasticache-exporter.configDir" .)) }}
{{- $_ := set $redis "tls" $tls }}
{{- end }}
{{- $_ := set $cfg "redis" $redis }}
{{- toYaml $cfg }}
{{- end }}

{{- define "elasticache-exporter.webConfig" -}}
tls_server_config:
  cert_file: {{ include "elasticache-exporter.configDir" . }}/web-tls/tls.crt
  key_file: {{ include "elasticache-exporter.configDir" . }}/web-tls/tls.key
{{- end }}

{{- define "elasticache-exporter.scheme" -}}
{{- if .Values.web.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}
