{{/*
Helpers for what the chart shares with the charts SREs come from
(prometheus-community's prometheus-redis-exporter and
prometheus-postgres-exporter; docs/migration.md): the Prometheus Operator
capability guard, the aliases of their value names, and the checks JSON
schema cannot express.
*/}}

{{/*
monitoringAPI: "true" when the API server serves monitoring.coreos.com/v1
(the Prometheus Operator's CRDs), so ServiceMonitor and PrometheusRule are
rendered only where they can be installed; serviceMonitor.force and
prometheusRule.force render them anyway (helm template without
--api-versions, a GitOps tool that renders offline).
*/}}
{{- define "elasticache-exporter.monitoringAPI" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- end }}

{{/* imagePullSecrets: imagePullSecrets plus image.pullSecrets (names or {name}), as a list of {name}. */}}
{{- define "elasticache-exporter.imagePullSecrets" -}}
{{- $out := list }}
{{- range concat (.Values.imagePullSecrets | default list) (.Values.image.pullSecrets | default list) }}
{{- if kindIs "string" . }}
{{- $out = append $out (dict "name" .) }}
{{- else }}
{{- $out = append $out . }}
{{- end }}
{{- end }}
{{- with $out | uniq }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* servicePort: service.port, else web.port. */}}
{{- define "elasticache-exporter.servicePort" -}}
{{- .Values.service.port | default .Values.web.port }}
{{- end }}

{{/*
validate: the checks values.schema.json cannot express. Each failure names
the value to change.
*/}}
{{- define "elasticache-exporter.validate" -}}
{{- $cfg := .Values.config | default dict }}
{{- $redis := $cfg.redis | default dict }}
{{- $ec := $cfg.elasticache | default dict }}
{{- $prov := $cfg.provision | default dict }}
{{- if not (or $redis.addrs $ec.replication_group_id $prov.enabled) }}
{{- fail "the exporter has nothing to watch: set config.redis.addrs to a node or endpoint of the group (e.g. --set 'config.redis.addrs[0]=rediss://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379', the configuration endpoint in cluster mode) or config.elasticache.replication_group_id to adopt it through the ElastiCache API" }}
{{- end }}
{{- /* The alarm overrides' ranges (templates/_alarms.tpl fails on a bad one), also where no PrometheusRule is rendered. */}}
{{- $_ := include "elasticache-exporter.alarmRules" . }}
{{- $sm := .Values.serviceMonitor }}
{{- if and $sm.enabled $sm.interval $sm.scrapeTimeout }}
{{- $interval := include "elasticache-exporter.durationMs" $sm.interval | int64 }}
{{- $timeout := include "elasticache-exporter.durationMs" $sm.scrapeTimeout | int64 }}
{{- if gt $timeout $interval }}
{{- fail (printf "serviceMonitor.scrapeTimeout (%s) is longer than serviceMonitor.interval (%s), which Prometheus refuses: lower scrapeTimeout or raise interval" $sm.scrapeTimeout $sm.interval) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
probe: a probe from values. With a handler of its own (httpGet, exec,
tcpSocket, grpc) it is used as given; otherwise its fields (periods,
thresholds) go with the chart's GET of .path on port http.
*/}}
{{- define "elasticache-exporter.probe" -}}
{{- $p := .probe | default dict }}
{{- if or $p.httpGet $p.exec $p.tcpSocket $p.grpc }}
{{- toYaml $p }}
{{- else }}
{{- $get := dict "httpGet" (dict "path" .path "port" "http" "scheme" (include "elasticache-exporter.scheme" .ctx)) }}
{{- toYaml (merge $get $p) }}
{{- end }}
{{- end }}
