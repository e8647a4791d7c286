() => {
  if (window.__pqInit) return;
  window.__pqInit = true;
  const copyText = (text) => {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } finally { area.remove(); }
    return Promise.resolve();
  };
  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest('a[href^="#src-"]');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      const card = document.getElementById(link.getAttribute('href').slice(1));
      if (!card) return;
      const folded = card.closest('details');
      if (folded) folded.open = true;
      card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      card.classList.remove('pq-flash'); void card.offsetWidth; card.classList.add('pq-flash');
      return;
    }
    const button = target.closest('button.pq-copy');
    if (button) {
      event.preventDefault();
      const done = () => { const old = button.textContent; button.textContent = '已复制'; setTimeout(() => { button.textContent = old; }, 1500); };
      copyText(button.dataset.cite || '').then(done, () => { button.textContent = '复制失败'; });
    }
  }, true);
}
