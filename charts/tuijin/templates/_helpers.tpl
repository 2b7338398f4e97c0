{{- define "tuijin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tuijin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "tuijin.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tuijin.labels" -}}
app.kubernetes.io/name: {{ include "tuijin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tuijin.selector" -}}
app.kubernetes.io/name: {{ include "tuijin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tuijin.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tuijin.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "tuijin.fullname" .)) -}}
{{- end -}}

{{- define "tuijin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "tuijin.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Environment of a tuijin container: settings from the ConfigMap,
credentials from the Secret (never a secret value in a ConfigMap). Only the
migration Job gets the owning role's URL: call with (dict "root" $ "owner" true). */}}
{{- define "tuijin.env" -}}
{{- $ := .root -}}
{{- $keys := dict "TUIJIN_DATABASE_URL" $.Values.secretKeys.databaseUrl "TUIJIN_REDIS_URL" $.Values.secretKeys.redisUrl "TUIJIN_S3_ACCESS_KEY" $.Values.secretKeys.s3AccessKey "TUIJIN_S3_SECRET_KEY" $.Values.secretKeys.s3SecretKey -}}
{{- if .owner }}{{ $_ := set $keys "TUIJIN_MIGRATE_DATABASE_URL" $.Values.secretKeys.migrateDatabaseUrl }}{{ end -}}
- name: TUIJIN_HTTP_ADDR
  value: "0.0.0.0:8080"
- name: TUIJIN_METRICS_ADDR
  value: {{ printf "0.0.0.0:%d" (int $.Values.metrics.port) | quote }}
{{- range $env, $key := $keys }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "tuijin.secretName" $ }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{- define "tuijin.envFrom" -}}
- configMapRef:
    name: {{ include "tuijin.fullname" . }}-config
{{- end -}}
