{{/*
The five alarms' Prometheus rules, computed from files/alarms.json (the
definitions, generated from internal/alarms by `make generate`) and
config.alarms (thresholds, for, severity, windows, runbook URL) exactly as
the exporter computes them, so the PrometheusRule equals `exporter rules`
and /rules for the same config.alarms (deploy/helmtest checks it for every
ci/ values file).
*/}}

{{/*
durationMs: a Go duration ("5m", "1h30m", "1.5h", "500ms") as whole
milliseconds, as time.ParseDuration and Prometheus' model.Duration read it.
The schema has checked the format.
*/}}
{{- define "elasticache-exporter.durationMs" -}}
{{- $units := dict "ns" 1 "us" 1000 "µs" 1000 "ms" 1000000 "s" 1000000000 "m" 60000000000 "h" 3600000000000 -}}
{{- $ns := int64 0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" (toString .) -1 -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" . -}}
{{- $unit := get $units (trimPrefix $num .) -}}
{{- $parts := splitList "." $num -}}
{{- $ns = add $ns (mul (atoi (first $parts)) $unit) -}}
{{- if gt (len $parts) 1 -}}
{{- $frac := last $parts -}}
{{- $scale := atoi (printf "1%s" (repeat (len $frac) "0")) -}}
{{- $ns = add $ns (int64 (mulf (atoi $frac) (divf $unit $scale))) -}}
{{- end -}}
{{- end -}}
{{- div $ns 1000000 -}}
{{- end -}}

{{/* promDuration: milliseconds as Prometheus writes a duration (model.Duration.String). */}}
{{- define "elasticache-exporter.promDuration" -}}
{{- $ms := int64 . -}}
{{- if eq $ms 0 -}}
0s
{{- else -}}
{{- $out := "" -}}
{{- range list (list "y" 31536000000 true) (list "w" 604800000 true) (list "d" 86400000 false) (list "h" 3600000 false) (list "m" 60000 false) (list "s" 1000 false) (list "ms" 1 false) -}}
{{- $mult := int64 (index . 1) -}}
{{- if not (and (index . 2) (ne (mod $ms $mult) 0)) -}}
{{- $v := div $ms $mult -}}
{{- if gt $v 0 -}}
{{- $out = printf "%s%d%s" $out $v (index . 0) -}}
{{- $ms = sub $ms (mul $v $mult) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out -}}
{{- end -}}
{{- end -}}

{{/*
number: a threshold as PromQL and the exporter print it (90, 0.75, 1000,
never 1e+03); dict "value" NUMBER "field" NAME.
*/}}
{{- define "elasticache-exporter.number" -}}
{{- $s := toJson .value -}}
{{- if contains "e" $s -}}
{{- fail (printf "%s: %s is too small or too large to print as PromQL does; use 0 or a value of at least 0.0001" .field $s) -}}
{{- end -}}
{{- $s -}}
{{- end -}}

{{/*
alarmRules: the rule group `exporter rules` prints for .Values.config.alarms,
as YAML (a list of rules).
*/}}
{{- define "elasticache-exporter.alarmRules" -}}
{{- $data := .Files.Get "files/alarms.json" | fromJson -}}
{{- if not $data.alarms -}}
{{- fail "files/alarms.json holds no alarms: regenerate it with `make generate`" -}}
{{- end -}}
{{- $cfg := .Values.config.alarms | default dict -}}
{{- $base := $cfg.runbook_base_url | default $data.runbook_base_url -}}
{{- $rateMs := int64 $data.rate_window_ms -}}
{{- if $cfg.rate_window -}}
{{- $rateMs = include "elasticache-exporter.durationMs" $cfg.rate_window | int64 -}}
{{- if or (lt $rateMs 10000) (gt $rateMs 86400000) -}}
{{- fail (printf "config.alarms.rate_window: %s is outside 10s..24h; use at least twice Prometheus' scrape interval (default 1m)" $cfg.rate_window) -}}
{{- end -}}
{{- end -}}
{{- $rules := list -}}
{{- range $a := $data.alarms -}}
{{- $o := get $cfg $a.name | default dict -}}
{{- $field := printf "config.alarms.%s" $a.name -}}
{{- $threshold := $a.threshold -}}
{{- if hasKey $o "threshold" -}}
{{- $threshold = $o.threshold -}}
{{- end -}}
{{- $forMs := int64 $a.for_ms -}}
{{- if $o.for -}}
{{- $ms := include "elasticache-exporter.durationMs" $o.for | int64 -}}
{{- if gt $ms 86400000 -}}
{{- fail (printf "%s.for: %s is outside 0s..24h; use at most 24h, CloudWatch's longest evaluation" $field $o.for) -}}
{{- end -}}
{{- if gt $ms 0 -}}
{{- $forMs = $ms -}}
{{- end -}}
{{- end -}}
{{- $severity := $o.severity | default $a.severity -}}
{{- $windowMs := int64 $a.period_ms -}}
{{- if $o.window -}}
{{- $ms := include "elasticache-exporter.durationMs" $o.window | int64 -}}
{{- if and (gt $ms 0) (or (lt $ms 10000) (gt $ms 86400000)) -}}
{{- fail (printf "%s.window: %s is outside 10s..24h; use e.g. 5m, or 0s for the CloudWatch period" $field $o.window) -}}
{{- end -}}
{{- if gt $ms 0 -}}
{{- $windowMs = $ms -}}
{{- end -}}
{{- end -}}
{{- $thresholdText := include "elasticache-exporter.number" (dict "value" $threshold "field" (printf "%s.threshold" $field)) -}}
{{- $ratioText := include "elasticache-exporter.number" (dict "value" (divf $threshold 100) "field" (printf "%s.threshold" $field)) -}}
{{- range $r := $a.rules -}}
{{- $ruleFor := $forMs -}}
{{- if $r.immediate -}}
{{- $ruleFor = int64 0 -}}
{{- else if and $r.at_most_ms (gt $forMs (int64 $r.at_most_ms)) -}}
{{- $ruleFor = int64 $r.at_most_ms -}}
{{- end -}}
{{- $forText := include "elasticache-exporter.promDuration" $ruleFor -}}
{{- $fill := dict "<<.Threshold>>" $thresholdText "<<.Ratio>>" $ratioText "<<.For>>" $forText "<<.RateWindow>>" (include "elasticache-exporter.promDuration" $rateMs) "<<.IncreaseWindow>>" (include "elasticache-exporter.promDuration" $windowMs) -}}
{{- $expr := $r.expr -}}
{{- $description := $r.description -}}
{{- range $k, $v := $fill -}}
{{- $expr = replace $k $v $expr -}}
{{- $description = replace $k $v $description -}}
{{- end -}}
{{- $labels := dict "severity" $severity -}}
{{- if $r.condition -}}
{{- $_ := set $labels "condition" $r.condition -}}
{{- end -}}
{{- $rule := dict "alert" $a.name "expr" $expr "labels" $labels "annotations" (dict "summary" $a.summary "description" $description "runbook_url" (printf "%s#%s" $base $a.runbook_anchor)) -}}
{{- if gt $ruleFor 0 -}}
{{- $_ := set $rule "for" $forText -}}
{{- end -}}
{{- $rules = append $rules $rule -}}
{{- end -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
