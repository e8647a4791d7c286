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
  // a copy button on every answer: its text as shown (citation numbers included)
  const addCopyButtons = () => {
    document.querySelectorAll('#pq-chat .bot').forEach((bubble) => {
      if (bubble.querySelector(':scope > button.pq-copy-msg') || bubble.innerText.includes('正在查找')) return;
      const button = document.createElement('button');
      button.type = 'button'; button.className = 'pq-copy-msg'; button.textContent = '复制';
      bubble.appendChild(button);
    });
  };
  new MutationObserver(addCopyButtons).observe(document.body, { childList: true, subtree: true });
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
    const openDoc = target.closest('button.pq-open-doc');
    if (openDoc) {
      event.preventDefault();
      const box = document.querySelector('#pq-docview-req textarea, #pq-docview-req input');
      if (!box) return;
      box.value = `${openDoc.dataset.doc}|${openDoc.dataset.chunk}`;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      setTimeout(() => document.getElementById('pq-docview-go')?.click(), 50);
      return;
    }
    const closeDoc = target.closest('button.pq-docview-close');
    if (closeDoc) {
      event.preventDefault();
      closeDoc.closest('.pq-docview-overlay')?.classList.add('pq-closed');
      return;
    }
    const copyMessage = target.closest('button.pq-copy-msg');
    if (copyMessage) {
      event.preventDefault();
      const bubble = copyMessage.closest('.bot');
      const text = bubble.innerText.replace(/\n?复制$/, '').replace(/\n?已复制$/, '').trim();
      copyText(text).then(() => { copyMessage.textContent = '已复制'; setTimeout(() => { copyMessage.textContent = '复制'; }, 1500); });
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
