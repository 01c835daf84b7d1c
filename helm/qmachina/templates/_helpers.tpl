{{/* Whether component `name` is rendered by this release (`only` empty = all). */}}
{{- define "qm.selected" -}}
{{- if or (eq .root.Values.only "") (eq .root.Values.only .name) -}}true{{- end -}}
{{- end -}}

{{- define "qm.labels" -}}
app.kubernetes.io/part-of: qmachina
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{/* Shared container environment of a service (secrets by reference only). */}}
{{- define "qm.env" -}}
{{- range $key, $value := .root.Values.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- with (index .root.Values.services .name) }}
{{- range $key, $value := .env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
- name: QM_AUTH_ISSUER
  value: {{ .root.Values.auth.issuer | quote }}
- name: QM_AUTH_AUDIENCE
  value: {{ .root.Values.auth.audience | quote }}
- name: QM_AUTH_JWKS_URL
  value: {{ .root.Values.auth.jwksUri | quote }}
- name: QM_TENANCY_URL
  value: "http://tenancy:{{ .root.Values.services.tenancy.port }}"
- name: QM_SERVING_INGESTION_URL
  value: "http://ingestion:{{ .root.Values.services.ingestion.port }}"
- name: QM_TENANCY_DEV_KEY_PATH
  value: /var/lib/qmachina/dev-auth/dev-signing-key.json
- name: QM_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ replace "{service}" .name .root.Values.secrets.database | quote }}
      key: url
- name: QM_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.redis | quote }}
      key: url
- name: QM_SERVICE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.serviceToken | quote }}
      key: token
{{- end -}}
