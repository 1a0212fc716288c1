export function PlaceholderPage({ title, text }: { title: string; text: string }) {
  return (
    <div className="page">
      <section className="card">
        <h2>{title}</h2>
        <p className="muted">{text}</p>
      </section>
    </div>
  );
}
