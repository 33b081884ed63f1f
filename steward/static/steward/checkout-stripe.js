// The card step of the checkout page (payments/checkout_stripe.html): loads Stripe.js, mounts
// Stripe's Payment Element with the order's client secret and confirms the payment. Card details
// go from the browser to Stripe; Steward learns of the payment from Stripe's signed webhook.
// When Stripe.js cannot be loaded (offline, blocked, or a test server's stand-in without the
// Payment Element) the section says so instead. Plain JavaScript, no build step.

const RELOAD_AFTER_MS = 3000; // time for the webhook to arrive before the page looks again

function loadStripeJs(url) {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("no Stripe")));
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

async function setup(section) {
  const form = section.querySelector("[data-stripe-form]");
  const mount = section.querySelector("[data-payment-element]");
  const pay = section.querySelector("[data-stripe-pay]");
  const status = section.querySelector("[data-stripe-status]");
  const errorBox = section.querySelector("[data-stripe-error]");
  const { publishableKey, clientSecret, jsUrl, returnUrl } = section.dataset;

  const showError = (message) => {
    errorBox.querySelector("p").textContent = message;
    errorBox.hidden = false;
  };
  const unavailable = () => {
    mount.replaceChildren();
    pay.hidden = true;
    showError(section.dataset.unavailable);
  };

  let stripe;
  try {
    stripe = (await loadStripeJs(jsUrl))(publishableKey);
  } catch {
    unavailable();
    return;
  }
  if (typeof stripe.confirmPayment !== "function") {
    unavailable();
    return;
  }
  const elements = stripe.elements({ clientSecret });
  mount.replaceChildren();
  elements.create("payment").mount(mount);
  pay.disabled = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    pay.disabled = true;
    status.textContent = section.dataset.paying;
    // Cards rarely leave the page; when they must (some 3-D Secure checks), Stripe comes back
    // to the order's page, which shows the outcome.
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: new URL(returnUrl, window.location.href).href },
      redirect: "if_required",
    });
    if (error) {
      status.textContent = "";
      showError(error.message);
      pay.disabled = false;
      return;
    }
    status.textContent = section.dataset.paid;
    setTimeout(() => window.location.reload(), RELOAD_AFTER_MS);
  });
}

document.querySelectorAll("[data-stripe-checkout]").forEach(setup);
