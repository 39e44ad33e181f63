// The Helm chart of the render tests (`webapp`: a ConfigMap showing the chart version and a
// values field, a Secret from `db.password`, a Deployment, a Service, and a template that fails
// quoting the password when `failRender` is set), and the plaintext of its encrypted values file.
// Written into the Flux-style repo (flux-repo.ts) and packaged/pushed by chart-repo.ts.

export const helmSecretValues = (password: string): string => `db:\n  password: ${password}\n`;

/** The chart's files under `dir` (repo-relative), at `version`; `greeting` shows which values reached it. */
export function webappChart(version: string, dir = 'charts/webapp'): Record<string, string> {
  return {
    [`${dir}/Chart.yaml`]: `apiVersion: v2\nname: webapp\ndescription: gitops-seal test chart\ntype: application\nversion: ${version}\nappVersion: "2.0.0"\n`,
    [`${dir}/values.yaml`]: `replicaCount: 1\ngreeting: hello\nimage:\n  repository: ghcr.io/example/webapp\n  tag: "2.0.0"\ndb:\n  password: ""\n`,
    [`${dir}/templates/configmap.yaml`]: `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  greeting: {{ .Values.greeting | quote }}
  chartVersion: {{ .Chart.Version | quote }}
`,
    [`${dir}/templates/secret.yaml`]: `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-db
type: Opaque
data:
  DB_PASSWORD: {{ required "db.password is required" .Values.db.password | b64enc | quote }}
`,
    [`${dir}/templates/deployment.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          envFrom:
            - secretRef:
                name: {{ .Release.Name }}-db
`,
    // Off unless a test sets failRender: helm's own error then quotes a decrypted value.
    [`${dir}/templates/fail.yaml`]: '{{- if .Values.failRender }}{{ fail (printf "db password %s" .Values.db.password) }}{{- end }}\n',
    [`${dir}/templates/service.yaml`]: `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    app.kubernetes.io/instance: {{ .Release.Name }}
  ports:
    - port: 80
      targetPort: 8080
`,
  };
}
