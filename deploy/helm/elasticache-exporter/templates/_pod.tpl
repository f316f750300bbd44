{{/*
The exporter's pod template, shared by the Deployment (one process, or an
HA set with ha.lease) and the StatefulSet (sharding.enabled).
*/}}
{{- define "elasticache-exporter.podTemplate" -}}
{{- $configDir := include "elasticache-exporter.configDir" . }}
{{- $sharding := .Values.sharding.enabled }}
{{- $lease := .Values.ha.lease.enabled -}}
metadata:
  labels:
    {{- include "elasticache-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the pod when the config changes; the exporter also reloads on POST /-/reload.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "elasticache-exporter.serviceAccountName" . }}
  # No token for the pod as a whole: with ha.lease.enabled the exporter
  # container alone mounts one (kube-api-access), for its Lease.
  automountServiceAccountToken: false
  {{- with include "elasticache-exporter.imagePullSecrets" . }}
  imagePullSecrets:
    {{- . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- with .Values.initContainers }}
  initContainers:
    {{- tpl (toYaml .) $ | nindent 4 }}
  {{- end }}
  containers:
    - name: exporter
      image: {{ include "elasticache-exporter.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file={{ $configDir }}/config.yaml
        - --web.listen-address=:{{ .Values.web.port }}
        - --log.level={{ .Values.log.level }}
        - --log.format={{ .Values.log.format }}
        {{- if .Values.web.tls.enabled }}
        - --web.config.file={{ $configDir }}/web-config.yaml
        {{- end }}
        {{- if $sharding }}
        # This pod reads the shards of the group its ordinal owns (docs/scaling.md).
        - --shard.count={{ .Values.sharding.replicas }}
        - --shard.from-pod-name=$(POD_NAME)
        {{- end }}
        {{- if $lease }}
        # CloudWatch, the log tails and alarm management run on the Lease holder only.
        - --ha.lease=kubernetes
        - --ha.lease.name={{ include "elasticache-exporter.leaseName" . }}
        - --ha.lease.namespace=$(POD_NAMESPACE)
        - --ha.lease.identity=$(POD_NAME)
        - --ha.lease.duration={{ .Values.ha.lease.duration }}
        - --ha.lease.renew-deadline={{ .Values.ha.lease.renewDeadline }}
        - --ha.lease.retry-period={{ .Values.ha.lease.retryPeriod }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- $memoryLimit := dig "limits" "memory" "" (.Values.resources | default dict) }}
      {{- if or $sharding $lease $memoryLimit .Values.extraEnv .Values.env }}
      env:
        {{- if $memoryLimit }}
        {{- /* The Go runtime collects harder as the heap nears the container's
               memory limit instead of being OOM-killed past it. */}}
        - name: GOMEMLIMIT
          valueFrom:
            resourceFieldRef:
              resource: limits.memory
        {{- end }}
        {{- if or $sharding $lease }}
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with .Values.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.web.port }}
          protocol: TCP
      livenessProbe:
        {{- include "elasticache-exporter.probe" (dict "probe" .Values.livenessProbe "path" "/healthz" "ctx" .) | nindent 8 }}
      readinessProbe:
        {{- include "elasticache-exporter.probe" (dict "probe" .Values.readinessProbe "path" "/readyz" "ctx" .) | nindent 8 }}
      {{- with .Values.startupProbe }}
      startupProbe:
        {{- include "elasticache-exporter.probe" (dict "probe" . "path" "/healthz" "ctx" $) | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: {{ $configDir }}/config.yaml
          subPath: config.yaml
          readOnly: true
        {{- if .Values.web.tls.enabled }}
        - name: config
          mountPath: {{ $configDir }}/web-config.yaml
          subPath: web-config.yaml
          readOnly: true
        - name: web-tls
          mountPath: {{ $configDir }}/web-tls
          readOnly: true
        {{- end }}
        {{- if .Values.auth.existingSecret }}
        # A directory mount, not subPath, so a rotated token reaches the pod.
        - name: auth
          mountPath: {{ $configDir }}/auth
          readOnly: true
        {{- end }}
        {{- if .Values.redisTLS.caSecret }}
        - name: redis-tls
          mountPath: {{ $configDir }}/redis-tls
          readOnly: true
        {{- end }}
        {{- if $lease }}
        # The Kubernetes API credentials for the Lease, where client libraries look for them.
        - name: kube-api-access
          mountPath: /var/run/secrets/kubernetes.io/serviceaccount
          readOnly: true
        {{- end }}
        # The root filesystem is read-only; the log tail's state file and Go's temp files go here.
        - name: tmp
          mountPath: /tmp
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- with .Values.extraContainers }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "elasticache-exporter.fullname" . }}
    {{- if .Values.web.tls.enabled }}
    - name: web-tls
      secret:
        secretName: {{ .Values.web.tls.secretName }}
        defaultMode: 0440
    {{- end }}
    {{- if .Values.auth.existingSecret }}
    - name: auth
      secret:
        secretName: {{ .Values.auth.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .Values.auth.key }}
            path: token
    {{- end }}
    {{- if .Values.redisTLS.caSecret }}
    - name: redis-tls
      secret:
        secretName: {{ .Values.redisTLS.caSecret }}
        defaultMode: 0444
        items:
          - key: {{ .Values.redisTLS.caKey }}
            path: ca.crt
    {{- end }}
    {{- if $lease }}
    # What automountServiceAccountToken would mount, for this container only:
    # a short-lived token the kubelet rotates, the cluster CA and the namespace.
    - name: kube-api-access
      projected:
        defaultMode: 0444
        sources:
          - serviceAccountToken:
              path: token
              expirationSeconds: 3607
          - configMap:
              name: kube-root-ca.crt
              items:
                - key: ca.crt
                  path: ca.crt
          - downwardAPI:
              items:
                - path: namespace
                  fieldRef:
                    apiVersion: v1
                    fieldPath: metadata.namespace
    {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
